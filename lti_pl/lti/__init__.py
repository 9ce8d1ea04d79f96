"""The LTI boundary: the only package that imports pylti1p3."""
