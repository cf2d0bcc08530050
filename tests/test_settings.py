"""Settings: one object reads every setting from keywords and the environment, and keeps secrets secret."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import AliasChoices, ValidationError

from rag.settings import EmbeddingBackend, IndexKind, SentenceVectors, Settings
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

ENV_PREFIXES = ("RAG_", "OPENAI_", "XDG_")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting leaks in from the machine running the tests."""
    import os

    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name)


def env_names(field: str) -> list[str]:
    """The environment variables a field reads, first match wins."""
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [f"RAG_{field.upper()}"]


def test_every_setting_has_a_description_and_a_rag_variable() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, name
        assert env_names(name)[0] == f"RAG_{name.upper()}", name


def test_every_variable_the_readme_names_is_a_setting() -> None:
    documented = set(re.findall(r"\b(RAG_[A-Z][A-Z0-9_]*[A-Z0-9])\b", (ROOT / "README.md").read_text()))
    known = {env for name in Settings.model_fields for env in env_names(name)}
    assert documented and documented <= known, documented - known


@pytest.mark.parametrize(("variable", "value", "field", "expected"), [
    ("RAG_K", "8", "k", 8),
    ("RAG_INDEX_DIR", "/tmp/elsewhere", "index_dir", Path("/tmp/elsewhere")),
    ("RAG_INDEX_KIND", "hnsw", "index_kind", IndexKind.HNSW),
    ("RAG_SENTENCE_VECTORS", "contextual", "sentence_vectors", SentenceVectors.CONTEXTUAL),
    ("RAG_EMBEDDING_BACKEND", "onnx-int8", "embedding_backend", EmbeddingBackend.ONNX_INT8),
    ("RAG_TITLE_IN_EMBEDDING", "true", "title_in_embedding", True),
    ("RAG_DENSE_WEIGHT", "0.5", "dense_weight", 0.5),
    ("RAG_BACKEND", "echo", "backend", "echo"),
    ("RAG_LLM_BASE_URL", "http://localhost:11434/v1", "llm_base_url", "http://localhost:11434/v1"),
    ("OPENAI_BASE_URL", "http://localhost:8080/v1", "llm_base_url", "http://localhost:8080/v1"),
])
def test_settings_read_their_variables(monkeypatch, variable, value, field, expected) -> None:
    monkeypatch.setenv(variable, value)
    settings = Settings()
    assert getattr(settings, field) == expected
    assert field in settings.model_fields_set  # set by the environment: it counts as asked for


def test_the_rag_variable_wins_over_the_openai_fallback(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://openai-fallback/v1")
    monkeypatch.setenv("RAG_LLM_BASE_URL", "http://rag-own/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fallback-0001")
    monkeypatch.setenv("RAG_LLM_API_KEY", "sk-rag-own-0002")
    settings = Settings()
    assert settings.llm_base_url == "http://rag-own/v1"
    assert settings.llm_api_key is not None and settings.llm_api_key.get_secret_value() == "sk-rag-own-0002"


def test_a_keyword_wins_over_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("RAG_K", "8")
    monkeypatch.setenv("RAG_LLM_API_KEY", "sk-env-0003")
    settings = Settings(k=3, llm_api_key="sk-keyword-0004")
    assert settings.k == 3
    assert settings.llm_api_key is not None and settings.llm_api_key.get_secret_value() == "sk-keyword-0004"


def test_defaults_with_nothing_configured(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = Settings()
    assert settings.model_fields_set == set()
    assert settings.backend == "extractive" and settings.k == 5 and settings.llm_api_key is None
    assert settings.embedding_backend == EmbeddingBackend.ONNX
    assert settings.onnx_cache_dir == tmp_path / ".cache" / "rag" / "onnx"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert Settings().onnx_cache_dir == tmp_path / "xdg" / "rag" / "onnx"


def test_with_overrides_changes_only_what_is_given(monkeypatch) -> None:
    monkeypatch.setenv("RAG_CHUNK_TOKENS", "120")
    base = Settings(k=7)
    changed = base.with_overrides(k=None, rrf_k=30, llm_api_key="sk-override-0005")
    assert changed.k == 7 and changed.rrf_k == 30 and changed.chunk_tokens == 120
    assert changed.model_fields_set == {"k", "rrf_k", "chunk_tokens", "llm_api_key"}
    assert base.with_overrides(k=None, backend=None) is base
    assert base.rrf_k == 60  # the original is untouched


def test_secrets_never_show(monkeypatch) -> None:
    secret_key, secret_password = "sk-never-shown-0006", "pass-never-shown-0007"
    monkeypatch.setenv("OPENAI_API_KEY", secret_key)
    settings = Settings(auth=f"ann:{secret_password}")
    assert settings.credentials == ("ann", secret_password)
    for text in (repr(settings), str(settings), settings.model_dump_json(), str(settings.model_dump())):
        assert secret_key not in text and secret_password not in text


def test_invalid_values_are_refused_without_echoing_them(monkeypatch) -> None:
    with pytest.raises(ValidationError) as bad_auth:
        Settings(auth="no-colon-secret-0008")
    assert "user:password" in str(bad_auth.value) and "no-colon-secret-0008" not in str(bad_auth.value)
    monkeypatch.setenv("RAG_K", "zero")
    with pytest.raises(ValidationError, match="k"):
        Settings()
    with pytest.raises(ValidationError):
        Settings(no_such_setting=1)


def test_the_embedder_takes_what_it_is_not_given_from_settings(monkeypatch, tmp_path) -> None:
    """Constructing an Embedder loads nothing; its model, backend and cache follow the settings."""
    from rag.embedding import Embedder

    monkeypatch.setenv("RAG_EMBEDDING_BACKEND", "torch")
    monkeypatch.setenv("RAG_ONNX_CACHE_DIR", str(tmp_path / "onnx"))
    monkeypatch.setenv("RAG_EMBEDDING_BATCH_SIZE", "4")
    embedder = Embedder()
    assert embedder.backend == EmbeddingBackend.TORCH and embedder.cache_dir == tmp_path / "onnx"
    assert embedder.batch_size == 4 and embedder.model_name == Settings().embedding_model
    assert Embedder(backend="onnx").backend == EmbeddingBackend.ONNX
    assert not embedder.loaded
