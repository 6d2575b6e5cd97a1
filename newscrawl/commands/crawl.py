"""`scrapy crawl`, which alone writes the default feed (DEFAULT_FEED) when no -o/-O or FEEDS is given.

`scrapy parse`, `scrapy check` and `scrapy shell` run the same spiders and add-ons: without this
they would write an empty dataset and overwrite the manifest of the last real crawl.
"""

from scrapy.commands.crawl import Command as ScrapyCrawl


class Command(ScrapyCrawl):
    def process_options(self, args, opts) -> None:
        super().process_options(args, opts)
        self.settings.set("WRITE_DEFAULT_FEED", True, priority="cmdline")
