import pytest

from deckpipe.config import Settings, load_settings
from deckpipe.errors import ConfigError

GOOD = {
    "GOOGLE_CLOUD_PROJECT": "deckpipe-local",
    "DECKPIPE_BUCKET": "deckpipe-local",
    "DECKPIPE_TOPIC": "deckpipe-jobs",
    "DECKPIPE_STATUS_URL": "http://127.0.0.1:8092/",
    "DECKPIPE_RESULT_URL": "https://example.test/result",
}


def test_defaults_and_urls():
    settings = load_settings(GOOD)
    assert isinstance(settings, Settings)
    assert settings.max_upload_bytes == 100 * 1024 * 1024
    assert settings.status_url_for("ab") == "http://127.0.0.1:8092/ab"
    assert settings.result_url_for("ab") == "https://example.test/result/ab"
    assert settings.dead_letter_topic == "deckpipe-jobs-dead-letter"


@pytest.mark.parametrize("var", ["GOOGLE_CLOUD_PROJECT", "DECKPIPE_BUCKET", "DECKPIPE_TOPIC",
                                 "DECKPIPE_STATUS_URL", "DECKPIPE_RESULT_URL"])
def test_missing_required_setting_is_named(var):
    env = {k: v for k, v in GOOD.items() if k != var}
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert f"{var} is not set" in caught.value.message


@pytest.mark.parametrize(
    ("var", "value", "expects"),
    [
        ("DECKPIPE_MAX_UPLOAD_BYTES", "lots", "positive number of bytes"),
        ("DECKPIPE_MAX_UPLOAD_BYTES", "0", "positive number of bytes"),
        ("DECKPIPE_BUCKET", "Bad Bucket", "Cloud Storage bucket name"),
        ("DECKPIPE_STATUS_URL", "ftp://x", "http(s) URL"),
        ("DECKPIPE_MAX_ATTEMPTS", "1.5", "integer"),
        ("DECKPIPE_BACKEND", "azure", "one of google, memory"),
        ("DECKPIPE_UPLOAD_CHUNK_BYTES", "300000", "multiple of 262144"),
        ("DECKPIPE_UPLOAD_URL", "127.0.0.1:8091", "http(s) URL"),
        ("DECKPIPE_ALLOWED_ORIGINS", "https://a.test/page", "scheme and host, no path"),
        ("DECKPIPE_RETENTION_DAYS", "0", "at least 1"),
    ],
)
def test_malformed_setting_names_value_and_expectation(var, value, expects):
    with pytest.raises(ConfigError) as caught:
        load_settings({**GOOD, var: value})
    assert var in caught.value.message
    assert value in caught.value.message
    assert expects in caught.value.message


def test_all_problems_reported_at_once():
    with pytest.raises(ConfigError) as caught:
        load_settings({"DECKPIPE_MAX_ATTEMPTS": "x"})
    for var in ("GOOGLE_CLOUD_PROJECT", "DECKPIPE_BUCKET", "DECKPIPE_MAX_ATTEMPTS"):
        assert var in caught.value.message


def test_cors_origins_include_the_upload_function_origin():
    settings = load_settings({
        **GOOD,
        "DECKPIPE_UPLOAD_URL": "https://Upload-abc.a.run.app/",
        "DECKPIPE_ALLOWED_ORIGINS": "https://decks.example.com, http://127.0.0.1:9000",
    })
    assert settings.cors_origins == {
        "https://upload-abc.a.run.app", "https://decks.example.com", "http://127.0.0.1:9000",
    }
    assert load_settings(GOOD).cors_origins == frozenset()
