"""Project commands (COMMANDS_MODULE): Scrapy's own, where the project needs them to differ."""
