"""The covered-frontier-model program: registry, evaluations, restricted designation rules,
pre-release engagements, defensive access for trusted partners, incident reports and referrals.

The software records, computes and informs. Nothing here licenses, pre-clears or blocks a
release: no state waits on the government, and the developer may release or withdraw at any step.
Every service is a function taking a SQLAlchemy session and the calling
:class:`~clearinghouse.participants.service.Principal`, so the API, the CLI and the web pages
share one set of rules.
"""
