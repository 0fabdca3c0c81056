"""Alerts: rules evaluated when a series changes, and the alerts they raise.

Where things are decided:

    service.py    the entry points: assess (run the rules, apply what fires), publish (to the
                  webhook outbox), evaluate (both); acknowledge, resolve, resolve_quiet; and
                  review's revise and would_raise, re-exported
    rules/        one module per rule kind behind the `Rule` protocol (rules/base.py)
    firing.py     which rules fire where: the changed series days through each applicable rule
    lifecycle.py  what a trigger does to an alert (`Outcome`), each state change, its event
    apply.py      the outcomes stored: alerts locked, inserted, changed; the notices to publish
    review.py     after a figure review: revise (retract, update, escalate), would_raise
    history.py    the history row every change of an alert writes (alert_events)
    evidence.py   the evidence an alert carries (typed), built from the figures behind it
    outbox.py     the API's view of an alert and its webhook notifications
    silences.py   who is not told: the one silence matcher, and silences' CRUD
    rulebook.py   the configured rules' CRUD and the rules a new install starts with
    enums.py      rule kinds, severities, alert states, webhook events, history changes
    models.py, schemas.py, router.py  tables, API types, routes
"""
