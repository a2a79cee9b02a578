"""`stance evaluate`: one module per evaluation (extraction, PolNeAR extraction, classifier, off-topic,
positions). They are imported one at a time by the command that needs them, so nothing is re-exported here."""
