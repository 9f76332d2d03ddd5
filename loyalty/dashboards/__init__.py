"""The operators' dashboards (docs/console.md, "Dashboards"): daily rollups kept by a job,
and the figures the console's charts read from them.

    sql.py          the Shanghai day, hour, week, month of a timestamp, on PostgreSQL and SQLite
    day_rollups.py  the rollups of a range of days: sales per hour, fuel per grade, station
                    members, members per week, coupons and pushes per day
    snapshots.py    one day's snapshots: members per tier, liabilities, points expiring per month
    rollup.py       the job: the nightly run (which days) and `rebuild(first, last)`
    filters.py      a dashboard request's date range and station, checked, scoped to the staff
    figures.py      each dashboard's figures (JSON-ready dicts), read from the rollups
    cli.py          `flask dashboards rebuild --from D --to D`, `flask dashboards nightly`

Tables: models/rollup.py. No figure names or reveals a member: counts and sums only.
"""
