"""newscrawl: Scrapy crawlers for Dutch news sites."""

__version__ = "0.1.0"
