"""The Executor block: job templates and jobs, modelled on AWX."""
