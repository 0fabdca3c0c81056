# Displacement Monitor: the same install as `make install` (from requirements.lock, with the pip
# the image ships), then `dispmon migrate` and `dispmon serve`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DISPMON_DATABASE_URL=sqlite:////data/dispmon.db

RUN useradd --create-home --uid 10001 dispmon && mkdir -p /data && chown dispmon /data
WORKDIR /srv/dispmon

# the dependencies first (exact versions, hashes checked), so a code change reuses this layer
COPY requirements.lock ./
RUN python -m venv /srv/venv \
    && /srv/venv/bin/pip install --quiet --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
# the gazetteer's index is built into the installed package now, as root: the service reads it
# in place and never parses the data at start (app/gazetteer/store.py)
RUN /srv/venv/bin/pip install --quiet --no-cache-dir --no-deps --no-build-isolation . \
    && /srv/venv/bin/pip check \
    && /srv/venv/bin/dispmon gazetteer build
ENV PATH=/srv/venv/bin:$PATH

USER dispmon
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["sh", "-c", "dispmon migrate && exec dispmon serve --host 0.0.0.0 --port 8000"]
