"""Date and time formats of the admin (FORMAT_MODULE_PATH): ISO-like, 24-hour and with seconds,
so that webhooks, log lines and job times a few seconds apart can be told apart and sorted by eye.
"""

DATETIME_FORMAT = "Y-m-d H:i:s"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i:s"
