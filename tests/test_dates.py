from datetime import UTC, datetime

import pytest

from newscrawl.article.dates import format_utc, normalize_date, normalize_date_or_day, parse_dutch_date

# A fixed "page served at" time, so relative dates never depend on the wall clock.
SERVED = datetime(2024, 11, 3, 0, 30, tzinfo=UTC)  # 01:30 CET


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("31 okt 2024 om 19:09", "2024-10-31T19:09:00+01:00"),
        ("6 mrt 2024 om 17:25", "2024-03-06T17:25:00+01:00"),
        ("21 oktober 2024 — 14:23", "2024-10-21T14:23:00+02:00"),
        ("4 maart 2023 - 14:46", "2023-03-04T14:46:00+01:00"),
        ("Bijgewerkt 31 okt 2024 om 20:15", "2024-10-31T20:15:00+01:00"),
        ("| Bijgewerkt: 21 oktober 2024 — 14:31", "2024-10-21T14:31:00+02:00"),
        ("zo 3 nov 2024 08:00", "2024-11-03T08:00:00+01:00"),
        # Summer and winter time on either side of both switches.
        ("26 okt 2024 om 12:00", "2024-10-26T12:00:00+02:00"),
        ("28 okt 2024 om 12:00", "2024-10-28T12:00:00+01:00"),
        ("29 mrt 2025 om 12:00", "2025-03-29T12:00:00+01:00"),
        ("31 mrt 2025 om 12:00", "2025-03-31T12:00:00+02:00"),
    ],
)
def test_visible_dutch_dates(raw, expected):
    assert normalize_date(raw, SERVED) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("gisteren om 10:15", "2024-11-02T10:15:00+01:00"),
        ("vandaag 00:10", "2024-11-03T00:10:00+01:00"),
        ("2 uur geleden", "2024-11-02T23:30:00+01:00"),
        ("5 minuten geleden", "2024-11-03T01:25:00+01:00"),
    ],
)
def test_relative_dates_count_from_the_response_time(raw, expected):
    assert normalize_date(raw, SERVED) == expected


def test_elapsed_time_across_the_autumn_switch_is_exact():
    # Served at 03:30 CET on 27 Oct 2024 = 02:30 UTC; two hours earlier is 00:30 UTC = 02:30 CEST.
    served = datetime(2024, 10, 27, 2, 30, tzinfo=UTC)
    assert normalize_date("2 uur geleden", served) == "2024-10-27T02:30:00+02:00"


def test_elapsed_time_across_the_spring_switch_is_exact():
    # Served at 04:00 CEST on 30 Mar 2025 = 02:00 UTC; three hours earlier is 23:00 UTC = 00:00 CET.
    served = datetime(2025, 3, 30, 2, 0, tzinfo=UTC)
    assert normalize_date("3 uur geleden", served) == "2025-03-30T00:00:00+01:00"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2024-10-31T18:09:00Z", "2024-10-31T19:09:00+01:00"),
        ("2024-10-31T19:09:00+01:00", "2024-10-31T19:09:00+01:00"),
        ("2024-10-21T12:23:05+00:00", "2024-10-21T14:23:05+02:00"),
        ("2024-10-21T12:23:05.123456Z", "2024-10-21T14:23:05+02:00"),
        # Naive ISO (WordPress REST `date`) is Amsterdam wall time.
        ("2024-10-21T14:23:05", "2024-10-21T14:23:05+02:00"),
        # The ambiguous hour on 27 Oct 2024: only UTC settles it.
        ("2024-10-27T00:30:00Z", "2024-10-27T02:30:00+02:00"),
        ("2024-10-27T01:30:00Z", "2024-10-27T02:30:00+01:00"),
        ("2025-03-30T01:30:00Z", "2025-03-30T03:30:00+02:00"),
        ("Thu, 31 Oct 2024 19:09:00 +0100", "2024-10-31T19:09:00+01:00"),
        ("Wed, 05 Apr 2023 16:34:31 +0200", "2023-04-05T16:34:31+02:00"),
    ],
)
def test_machine_dates(raw, expected):
    assert normalize_date(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", None, "geen datum", "0:48", "2024-13-45T99:00:00Z"])
def test_garbage_gives_none(raw):
    assert normalize_date(raw, SERVED) is None


def test_visible_date_does_not_use_the_wall_clock():
    assert (
        parse_dutch_date("gisteren om 10:15", datetime(2020, 1, 10, 12, tzinfo=UTC)).date().isoformat() == "2020-01-09"
    )


def test_format_utc():
    assert format_utc(datetime(2024, 10, 31, 19, 9, 1, 999, tzinfo=UTC)) == "2024-10-31T19:09:01Z"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Gepubliceerd op 11 januari 2022 01:36", "2022-01-11T01:36:00+01:00"),  # real NU.nl text
        ("Geplaatst op 4 maart 2023 - 14:46", "2023-03-04T14:46:00+01:00"),
        ("Bijgewerkt op 31 okt 2024 om 20:15", "2024-10-31T20:15:00+01:00"),
        ("Laatst bijgewerkt op 21 oktober 2024 — 14:31", "2024-10-21T14:31:00+02:00"),
    ],
)
def test_labels_ending_in_op(raw, expected):
    assert normalize_date(raw, SERVED) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("17 september", "2024-09-17"),  # no year, no time: the last 17 September, a day
        ("gisteren", "2024-11-02"),  # not the crawler's clock time
        ("2025-03-28", "2025-03-28"),  # a bare ISO date (JSON-LD) is a day too
        ("Gepubliceerd op 11 januari 2022", "2022-01-11"),
        ("gisteren om 10:15", "2024-11-02T10:15:00+01:00"),
        ("2 uur geleden", "2024-11-02T23:30:00+01:00"),
        ("2025-03-28T16:00:00Z", "2025-03-28T17:00:00+01:00"),
    ],
)
def test_a_date_without_a_time_stays_a_day(raw, expected):
    assert normalize_date_or_day(raw, SERVED) == expected


def test_a_wall_time_that_does_not_exist_becomes_the_real_instant():
    # 31 March 2024: clocks jump from 02:00 to 03:00 in Amsterdam, so 02:30 never happened.
    assert normalize_date("31 mrt 2024 om 02:30", SERVED) == "2024-03-31T03:30:00+02:00"


def test_one_reader_of_stored_times_takes_a_naive_time_in_the_zone_it_is_told():
    from datetime import UTC

    from newscrawl.article.dates import AMSTERDAM, instant

    assert instant("2025-04-01T09:00:00Z") == instant("2025-04-01T11:00:00+02:00")
    assert instant("2025-04-01", UTC).isoformat() == "2025-04-01T00:00:00+00:00"
    assert instant("2025-04-01T10:00:00", AMSTERDAM).isoformat() == "2025-04-01T10:00:00+02:00"
    assert instant("2025-04-01T10:00:00") is None  # no zone, none given: not an instant
    for bad in (None, "", "gisteren", 20250401, ["2025-04-01"]):
        assert instant(bad, UTC) is None
