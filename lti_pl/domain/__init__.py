"""Plain-Python domain of lti_pl: no Flask, SQLAlchemy, pylti1p3, HTTP or clock reads."""
