"""Member profiles (PRODUCT M11): figures computed nightly from the sales, RFM scores with
named segments, and rule-based tags whose rules operators edit in the console.

    compute.py     the nightly run (set-based SQL): member_profiles, then member_tags
    intervals.py   a member's own median interval between visit days (shared with recall)
    segments.py    RFM quintiles and the segment table (codes, Chinese names, rules)
    tag_rules.py   the tag-rule language: validation, compilation to SQL, dry runs
    read.py        what the console reads: a member's profile and tags, segment counts
    defaults.py    the default tag rules of the demo seed

The job is jobs.loyalty.compute_profiles (scheduled nightly, jobs/schedule.py) and
`flask loyalty profiles`; tag-rule edits go through loyalty.config_changes.save_tag_rule.
See docs/console.md.
"""
