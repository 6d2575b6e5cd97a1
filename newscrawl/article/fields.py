"""The article's fields."""

# The fields whose coverage is reported (by `newscrawl stats` and in every manifest).
COVERAGE_FIELDS = (
    "headline",
    "description",
    "articleBody",
    "authors",
    "datePublished",
    "dateModified",
    "articleSection",
    "keywords",
    "mainImage",
)
