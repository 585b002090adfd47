"""Put on a rehearsed step's PYTHONPATH: its sitecustomize records Google Cloud calls."""
