# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN useradd --system --uid 1000 vendhub && mkdir -p /app/var /app/staticfiles \
    && chown -R vendhub /app/var /app/staticfiles
USER vendhub

EXPOSE 8000
CMD ["gunicorn", "vendhub_integrations.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
