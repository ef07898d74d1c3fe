# syntax=docker/dockerfile:1
# One image for web, worker, beat and the one-shot migrate service (docker-compose.yml). It runs the same
# bin/migrate, bin/web, bin/worker and bin/beat that `make run` runs, so CI's smoke test of `make run` covers them.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=dalian_minzheng.settings \
    WEB_BIND=0.0.0.0:8000

# gettext: compiled catalogues are committed, but `manage.py compilemessages` stays possible in the container
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 portal

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

COPY . .
# Editable, so settings.BASE_DIR is /app (templates, static, locale and data/ are read from there). Static files
# are baked into the image (bin/migrate refreshes the shared `static` volume at each start); the URLs below are
# dummies, since reading the settings connects to nothing.
RUN pip install --no-deps -e . \
    && mkdir -p var/media var/staticfiles \
    && DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
       python manage.py collectstatic --noinput --verbosity 0 \
    && chown -R portal:portal var

USER portal
EXPOSE 8000
CMD ["bin/web"]
