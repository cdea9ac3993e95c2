"""The `wnwa` command: run, migrate, seed and compose the WeNeverWalkAlone services."""
