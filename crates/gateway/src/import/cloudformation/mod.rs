//! CloudFormation and SAM templates (and `cdk synth` output).

mod intrinsics;
mod limits;
mod references;
mod template;
