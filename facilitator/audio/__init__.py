"""Audio: capture, level and voice activity, recording files, export."""
