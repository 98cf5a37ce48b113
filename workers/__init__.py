"""Long-running processes: projection runners, deadline watcher, retention."""
