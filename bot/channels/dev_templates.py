"""The dev stack's and the tests' template mapping: the defaults of NOTICE_TEMPLATES and
SUBSCRIBE_TEMPLATES (config.py), which production replaces (JSON) and HQ may override
per kind in the console (loyalty.notices.templates)."""
from __future__ import annotations

# Notice kind -> the template an operator added in the official-account console and
# which of the notice's fields fills each key (the key's type decides the format:
# bot/channels/values.py). Replace them with NOTICE_TEMPLATES / SUBSCRIBE_TEMPLATES
# (JSON) in production; these ids are the dev stack's and the tests'.
DEV_NOTICE_TEMPLATES: dict[str, dict] = {
    "receipt": {"template_id": "TPL_RECEIPT", "keys": {"thing1": "station", "character_string2": "litres",
                                                       "amount3": "amount", "number4": "points",
                                                       "number5": "balance", "time6": "time"}},
    "refund": {"template_id": "TPL_REFUND", "keys": {"thing1": "station", "amount2": "amount",
                                                     "number3": "points", "time4": "time"}},
    "balance_low": {"template_id": "TPL_BALANCE_LOW", "keys": {"amount1": "balance", "amount2": "threshold",
                                                               "thing3": "note"}},
    "tier_up": {"template_id": "TPL_TIER", "keys": {"thing1": "tier", "thing2": "previous", "thing3": "note"}},
    "tier_down": {"template_id": "TPL_TIER", "keys": {"thing1": "tier", "thing2": "previous", "thing3": "note"}},
    "coupon_issued": {"template_id": "TPL_COUPON", "keys": {"thing1": "coupon", "time2": "valid_until",
                                                            "thing3": "note"}},
    "points_expiring": {"template_id": "TPL_POINTS_EXPIRY", "keys": {"number1": "points", "time2": "expires_on",
                                                                     "thing3": "note"}},
    "coupon_expiring": {"template_id": "TPL_COUPON_EXPIRY", "keys": {"number1": "count", "time2": "expires_on",
                                                                     "thing3": "note"}},
    "invoice_issued": {"template_id": "TPL_INVOICE", "keys": {"character_string1": "invoice_no", "amount2": "amount",
                                                              "thing3": "note"}},
}
DEV_SUBSCRIBE_TEMPLATES: dict[str, dict] = {
    "points_expiring": {"template_id": "SUB_POINTS_EXPIRY", "keys": {"number1": "points", "date2": "expires_on",
                                                                     "thing3": "note"}},
    "coupon_expiring": {"template_id": "SUB_COUPON_EXPIRY", "keys": {"number1": "count", "date2": "expires_on",
                                                                     "thing3": "note"}},
    "inspection": {"template_id": "SUB_INSPECTION", "keys": {"car_number1": "plate", "date2": "due_on",
                                                             "thing3": "note"}},
    "survey": {"template_id": "SUB_SURVEY", "keys": {"thing1": "station", "time2": "time"}},
    "feedback_answer": {"template_id": "SUB_FEEDBACK", "keys": {"character_string1": "number", "thing2": "answer",
                                                                "thing3": "note"}},
    "invoice_rejected": {"template_id": "SUB_INVOICE_REJECTED", "keys": {"amount1": "amount", "thing2": "reason",
                                                                         "thing3": "note"}},
}
