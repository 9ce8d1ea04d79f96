"""Background jobs, called alike by the web layer, the `lti-pl` commands and the workers.

- `grade_delivery`: one worker cycle (send due scores, purge expired nonces), the in-process
  worker thread, RQ jobs;
- `roster_sync`, `line_item_discovery`: work after a launch that talks to the LMS;
- `hooks`: when they run (after the request commits; a commit that queued scores wakes the
  grade worker);
- `worker`: the Flask-free worker thread and the choice of worker mode.

Jobs may import services, lti, models and flask (they need the app), never web.
"""
