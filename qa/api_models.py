"""What the JSON API (``qa.api``) reads and writes, as pydantic models: its OpenAPI description is made from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

Source = Annotated[str, Query(min_length=1, description="a passage's source, as search returns it")]
Offset = Annotated[int, Query(ge=0, description="a passage's start or end, as search returns them")]
MAX_BODY = 64 * 1024  # bytes of a request body: a question, its history and a document list fit many times over
MAX_K = 50


@dataclass(frozen=True)
class Limits:
    requests: int = 16  # answered at once (each takes a few ms of the engine; two cores)
    wait: float = 10.0  # seconds a request waits for one of them before it gets 503 and Retry-After
    retry_after: int = 1  # seconds


DEFAULT_LIMITS = Limits()


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=2000, description="the question, in the documents' words or not")
    k: int | None = Field(None, ge=1, le=MAX_K, description="passages to return (default: the app's setting)")
    history: list[Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=list, max_length=20, description="earlier questions of the conversation, oldest first"
    )
    documents: list[Annotated[str, Field(max_length=4096)]] = Field(
        default_factory=list, max_length=200, description="file names or paths to search within (empty: all)"
    )
    mode: Literal["hybrid", "dense", "lexical"] | None = None


class PassageOut(BaseModel):
    rank: int
    source: str = Field(description="the document's path, as the documents list names it")
    start: int = Field(description="offset of the passage in the source's text: text == source_text[start:end]")
    end: int
    text: str = Field(description="the passage, an exact slice of the source's text")
    score: float
    page: int | None
    last_page: int | None
    line: int | None
    heading: str | None
    highlight: list[int] | None = Field(description="the answer sentence's [start, end], in the source's offsets")


class AnswerOut(BaseModel):
    question: str
    answered: bool = Field(description="false when the documents do not seem to answer the question")
    missing: str | None = Field(
        description="when not answered for this reason: a word of the question that the document found never uses"
    )
    searched: str = Field(description="the query actually run (a follow-up carries words of earlier questions)")
    preferred: list[str] = Field(description="the documents whose passages were preferred (their paths), if any")
    preferred_by: Literal["name", "conversation"] | None = Field(
        description="why: the question names them by file name, or the earlier questions were answered from them"
    )
    passages: list[PassageOut]


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    role: Literal["reader", "editor", "admin"]
    collections: str = Field("*", max_length=4096, description="a,b or * for all")
    password: str = Field(min_length=1, max_length=1024)


class ErrorOut(BaseModel):
    error: str = Field(description="what is wrong, in one line")


_ERROR_STATUSES = {
    400: "a bad field, query or body", 401: "no or wrong credentials (the app has sign-in)",
    403: "a route the user's role does not allow", 429: "too many failed sign-ins: retry after Retry-After",
    404: "a document or source that is not indexed", 413: "a body over 64 KB",
    503: "busy: retry after the Retry-After header's seconds",
}  # fmt: skip
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text} for code, text in _ERROR_STATUSES.items()
}
