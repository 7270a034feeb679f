"""`deckpipe deploy`: stage each Cloud Function into its own folder and deploy it with gcloud.

Functions Framework puts only a function's own folder on ``sys.path`` and ``gcloud functions
deploy --source DIR`` uploads that folder alone (symbolic links arrive missing), so every
function is staged as a self-contained folder: its ``main.py``, a real copy of the shared
``deckpipe`` package, and a ``requirements.txt`` pinned from ``pyproject.toml``. The staging and
the gcloud commands are built the same way for ``--dry-run`` and for a real deploy, so what the
dry run (and the test suite) proves is what gets deployed.

Modules: ``table`` (which functions, how big, which dependencies), ``envfile`` (the one
environment file, validated with ``deckpipe.config``), ``stage`` (the folders), ``gcloud``
(the commands) and ``command`` (the ``deckpipe deploy`` command line).
"""
