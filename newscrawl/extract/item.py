"""The Article item: its fields are the properties of schemas/article.schema.json, in that order."""

import scrapy

from newscrawl.article.schema import field_order


class ArticleItem(scrapy.Item):
    # Made from the schema (Scrapy's ItemMeta takes a ready ``fields`` mapping): a field added to
    # the schema is a field of the item, with nothing to write here.
    fields = {name: scrapy.Field() for name in field_order()}
