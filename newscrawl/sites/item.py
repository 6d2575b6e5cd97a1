"""The Article item. Its fields are the properties of schemas/article.schema.json, in that order."""

import scrapy


class ArticleItem(scrapy.Item):
    url = scrapy.Field()
    canonicalUrl = scrapy.Field()
    site = scrapy.Field()
    articleId = scrapy.Field()
    articleType = scrapy.Field()
    headline = scrapy.Field()
    description = scrapy.Field()
    articleBody = scrapy.Field()
    authors = scrapy.Field()
    datePublished = scrapy.Field()
    datePublishedRaw = scrapy.Field()
    dateModified = scrapy.Field()
    dateModifiedRaw = scrapy.Field()
    articleSection = scrapy.Field()
    keywords = scrapy.Field()
    mainImage = scrapy.Field()
    relatedUrls = scrapy.Field()
    inLanguage = scrapy.Field()
    wordCount = scrapy.Field()
    metadata = scrapy.Field()
