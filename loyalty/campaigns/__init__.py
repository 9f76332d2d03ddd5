"""Campaigns and recall with measured lift (docs/campaigns.md).

    filters.py     the registry of segment filters (SQL over members; dormancy is recall's)
    params.py      a filter's parameters and their checks
    segments.py    saved segments and the dry run (a count and a masked sample)
    assignment.py  the sticky md5 hash of campaign and member, in Python and in SQL
    entry.py       entering members set-based: assignments, coupons, points, outbox rows
    triggers.py    the daily run of the trigger campaigns
    lifecycle.py   drafts, launch, pause, stop; every change a change record
    measure.py     the report per arm over the conversion windows
    stats.py       lift, intervals and the two-proportion z-test
"""
