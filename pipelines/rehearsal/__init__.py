"""`tfx-hf rehearse`: a compiled Vertex PipelineJob or KFP PipelineSpec run on this machine the
way the backend runs it (each step's own container command, ExecutorInput, executor output,
resolver queries), before an image build and a cluster queue.

`runner` walks the DAG; `executor_input` builds what the launcher hands a step; `records` is
the rehearsals' own metadata store, which answers importer and resolver steps; `cloud` checks
the Google Cloud requests the steps recorded instead of sending them (step_site/ installs the
recording inside each step's process)."""
