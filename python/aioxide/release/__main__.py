"""``python -m aioxide.release``: the release command line."""

from .cli import run

if __name__ == "__main__":
    run()
