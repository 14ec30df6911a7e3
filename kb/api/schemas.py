"""Request and response bodies of the HTTP API (pydantic, for validation and /openapi.json).
Requests forbid unknown fields; responses are built from the records' own `to_json`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MODEL_ID = "kb-assistant"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------ records (responses)
class CitationOut(BaseModel):
    n: int
    doc_id: str
    path: str
    page: int | None
    section: str
    char_start: int
    char_end: int
    quote: str


class HitOut(BaseModel):
    rank: int
    score: float
    doc_id: str
    path: str
    page: int | None
    section: str
    chunk_id: str
    char_start: int
    char_end: int
    text: str


class SearchOut(BaseModel):
    """What `kb search --json` prints."""

    hits: list[HitOut]
    timings_ms: dict[str, float]


class AskOut(BaseModel):
    """What `kb ask --json` prints, with where the answer was kept."""

    answer: str
    refused: bool
    reason: str
    standalone_question: str
    citations: list[CitationOut]
    hits: list[HitOut]
    timings_ms: dict[str, float]
    conversation_id: str
    turn_id: str


class PassageOut(BaseModel):
    doc_id: str
    path: str
    title: str
    page: int | None
    section: str
    char_start: int
    char_end: int
    before: str
    quote: str
    after: str


class Progress(BaseModel):
    phase: str
    done: int
    total: int
    path: str


class FileErrorOut(BaseModel):
    path: str
    code: str
    error: str


class ReportOut(BaseModel):
    added: int
    updated: int
    unchanged: int
    deleted: int
    relabeled: int
    failed: list[FileErrorOut]
    chunks: int
    seconds: float
    dry_run: bool


class JobOut(BaseModel):
    id: str
    paths: list[str]
    dry_run: bool
    status: Literal["queued", "running", "done", "failed"]
    progress: Progress
    report: ReportOut | None
    error: str | None
    created_at: float
    finished_at: float | None


class DeletedOut(BaseModel):
    deleted: int


class ConversationOut(BaseModel):
    id: str
    title: str
    created_at: float
    updated_at: float


class TurnOut(BaseModel):
    id: str
    position: int
    question: str
    answer: str
    refused: bool
    reason: str
    standalone_question: str
    citations: list[CitationOut]
    created_at: float
    rating: int | None
    comment: str


class ConversationTurnsOut(BaseModel):
    id: str
    turns: list[TurnOut]


class FeedbackOut(BaseModel):
    turn_id: str
    rating: int


class ModelOut(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelsOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]


# ------------------------------------------------------------------ requests
class SearchIn(Strict):
    query: str = Field(description="Question or keywords, Chinese or English.")
    k: int | None = Field(None, ge=1, description="Number of results (default KB_SEARCH_K; at "
                          "most KB_API_MAX_K).")
    mode: Literal["hybrid", "dense", "keyword"] | None = None


class AskIn(Strict):
    question: str
    conversation_id: str | None = Field(
        None, description="Continue one of your conversations: its turns are the history for "
        "follow-up questions, and the answer is kept in it.")


class FeedbackIn(Strict):
    turn_id: str
    rating: Literal[0, 1] = Field(description="1 up, 0 down.")
    comment: str = Field("", max_length=2000)


class IngestIn(Strict):
    paths: list[str] = Field(min_length=1, max_length=100, description="Folders or files on the "
                             "server, inside KB_API_INGEST_ROOTS or an ingested root.")
    dry_run: bool = False


class TextPart(Strict):
    type: Literal["text"]
    text: str


class ChatMessage(Strict):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None
    name: str | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text for p in self.content)


class StreamOptions(Strict):
    include_usage: bool | None = None


class ChatIn(Strict):
    """OpenAI's chat completion request. The last user message is the question, earlier turns
    the history for follow-ups. Sampling options are accepted and have no effect: answers are
    quoted from the documents."""

    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: Literal[1] = 1
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    stop: str | list[str] | None = None
    user: str | None = Field(None, description="Ignored: the caller is who the key says.")
    metadata: dict[str, str] | None = None
    conversation_id: str | None = Field(
        None, description="(kb) keep the answer in this conversation of yours.")


class ChatMessageOut(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChoiceOut(BaseModel):
    index: int
    message: ChatMessageOut
    finish_reason: Literal["stop"]


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class KbOut(BaseModel):
    refused: bool
    reason: str
    standalone_question: str
    conversation_id: str
    turn_id: str


class ChatOut(BaseModel):
    """OpenAI's chat completion, with the answer's citations and `kb`'s verdict."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChoiceOut]
    usage: Usage
    citations: list[CitationOut]
    kb: KbOut
