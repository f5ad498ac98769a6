"""The web interface for people: server-rendered pages over the same parts the API uses.

Kept import-light: ``clearinghouse.web.models`` is loaded with every other model module, so
nothing here pulls in Jinja or the routes.
"""
