"""The credit-bank service: the HTTP API, its database, the anchoring worker and the pages.

    settings.py     where the service keeps its data and how it reaches the chain
    models.py       the tables (SQLAlchemy 2); migrations/ evolves them (Alembic)
    db.py           engine, sessions, upgrade to the newest schema
    security.py     API keys, learner sessions, password hashing
    issuing.py      accepting a credential durably (signed, committed, anchored later)
    app.py          the FastAPI application; routes/ holds each audience's endpoints
"""
