"""``python -m aioxide.release``: the release command line."""

from .main import main

if __name__ == "__main__":
    main(prog_name="aioxide-release")
