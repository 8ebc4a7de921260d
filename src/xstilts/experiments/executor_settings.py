"""The experiment file's ``executor`` section: where and how the phases run. It is not part of any phase's
identity (phase ids hash what a phase computes, not where), so moving a run from a laptop to a cluster reuses
every finished phase.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class SlurmSettings(BaseModel):
    """The job resources of one phase on a SLURM cluster (submitit's parameters of the same names)."""

    model_config = ConfigDict(extra="forbid")

    cluster: Literal["slurm", "local"] = Field(
        default="slurm",
        description="'local' runs the same jobs as local processes through submitit, to try a set-up out",
    )
    folder: str | None = Field(default=None, description="job scripts and logs (default: RUN_DIR/slurm)")
    partition: str | None = None
    account: str | None = None
    time_min: int = Field(default=24 * 60, ge=1, description="wall-clock limit of one phase's job, in minutes")
    gpus_per_node: int = Field(default=1, ge=0)
    cpus_per_task: int = Field(default=8, ge=1)
    mem_gb: int | None = Field(default=None, ge=1)
    setup: list[str] = Field(default_factory=list, description="shell lines run before the phase (module load ...)")
    additional: dict[str, Any] = Field(default_factory=dict, description="more #SBATCH options, e.g. {qos: high}")
    poll_seconds: float = Field(default=30.0, gt=0, description="how often the driver checks its jobs")
    signal_seconds: int = Field(
        default=120,
        ge=20,
        description="how long before the time limit SLURM signals a job (--signal): its phase writes a checkpoint"
        " at the next training step and the job requeues itself",
    )


class ExecutorSettings(BaseModel):
    """``local`` without ``devices``: every phase in this process, one after another (the default).
    ``local`` with ``devices``: independent phases side by side, one subprocess per device.
    ``slurm``: one job per phase, each depending on its parent's job."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["local", "slurm"] = "local"
    devices: list[int | str] | None = Field(
        default=None,
        min_length=1,
        description="one phase at a time per entry: a GPU index, a CUDA_VISIBLE_DEVICES value such as '0,1', or 'cpu'",
    )
    launcher: list[str] | None = Field(
        default=None,
        min_length=1,
        description="the command that runs a phase's Python module, e.g. [accelerate, launch, --num_processes, 2]"
        " (default: this Python interpreter)",
    )
    slurm: SlurmSettings = Field(default_factory=SlurmSettings)

    @field_validator("devices")
    @classmethod
    def _distinct(cls, devices: list[int | str] | None) -> list[int | str] | None:
        named = [str(d) for d in devices or [] if str(d) != "cpu"]
        if len(set(named)) != len(named):
            raise ValueError("a device is listed twice")
        return devices

    @model_validator(mode="after")
    def _devices_are_local(self) -> ExecutorSettings:
        if self.kind == "slurm" and self.devices is not None:
            raise ValueError("devices apply to the local executor; a SLURM job gets its GPUs from slurm.gpus_per_node")
        return self
