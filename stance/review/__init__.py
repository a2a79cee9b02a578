"""The analyst loop: agreement between annotators (more to come: review queue, import, server)."""
