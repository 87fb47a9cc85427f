"""The whole pipeline in one command: ingest -> domains -> worlds -> tasks -> simulate -> filter
-> export -> report, resumable stage by stage."""
