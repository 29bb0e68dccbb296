// Package deployer rolls a release out: the strategies (canary, blue-green,
// rolling, with optional shadow and header/cookie routing phases), the
// Provider interface that moves traffic on a platform, the metric analysis
// with Argo Rollouts' four-state measurements and limits, a Mann-Whitney
// judge for baseline-versus-canary comparisons, automatic rollback, and the
// rollback-safety verdict read from the ledger.
//
// One loop, Runner.Run, owns every decision. Providers (deployer/shell,
// deployer/nginx, deployer/kubernetes) only act and report health; every one
// passes deployer/providertest.Run. cmd/lockstep wires a provider by kind and
// runs `lockstep deploy`.
//
// A rollout, step by step:
//
//   - Pre-flight: the ledger is asked whether the release is deployed
//     already, whether a rollout in the environment is running (a runner
//     that died: traffic is put back on stable before anything else) or was
//     interrupted (it resumes at its step unless --restart). The
//     rollback-safety verdict is computed: when a contract migration ran
//     since stable, automatic rollback is refused for this rollout and a
//     failure pages instead.
//   - Deploy and wait for Health, then each step of the plan: set the
//     weight (or mirror, route, switch), wait for Health, and measure every
//     metric after analysis.initial_delay and then every analysis.interval
//     until the step's pause is over. A step is left only when every
//     metric's last measurement succeeded; otherwise it is extended (traffic
//     is never increased towards a failing candidate) until a success or a
//     limit decides.
//   - A metric fails the rollout when its failed measurements exceed
//     failure_limit, its inconclusive ones (no data, too few requests, no
//     baseline) exceed inconclusive_limit, or its consecutive errors exceed
//     consecutive_error_limit. No data never passes.
//   - On failure or cancellation, Rollback runs under a context of its own
//     (context.WithoutCancel plus deploy.rollback.timeout) and the ledger
//     records the rollout rolled back (the release too, which keeps its
//     contract migrations blocked) or interrupted. On success Promote runs
//     and the release is recorded deployed, which unlocks the contract
//     migrations waiting for it.
package deployer
