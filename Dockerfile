# Displacement Monitor: the same steps as `make install`, then `dispmon migrate` and `dispmon serve`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DISPMON_DATABASE_URL=sqlite:////data/dispmon.db

RUN useradd --create-home --uid 10001 dispmon && mkdir -p /data && chown dispmon /data
WORKDIR /srv/dispmon

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN python -m venv /srv/venv && /srv/venv/bin/pip install --quiet --upgrade pip \
    && /srv/venv/bin/pip install --quiet .
ENV PATH=/srv/venv/bin:$PATH

USER dispmon
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["sh", "-c", "dispmon migrate && exec dispmon serve --host 0.0.0.0 --port 8000"]
