import { CACHE_CORRUPT, rule, type Signature } from './rule.ts';

/**
 * GitHub Actions itself: the runner's own messages, the official actions (checkout, setup-*, cache,
 * upload/download-artifact, github-script), the GITHUB_TOKEN's permissions and GitHub's API limits, and the
 * step that ran (its `Run …` line, which the extractor hands over as a `step` signal).
 */

const TOKEN_PERMISSIONS =
  "The workflow's token lacks a permission the step needs (`permissions:` in the workflow, or the repository's default token permissions); a re-run fails the same way.";

export const GITHUB_ACTIONS_SIGNATURES: readonly Signature[] = [
  // ---------------------------------------------------------------- runner
  rule('timeout', {
    id: 'timeout.actions.waiting-for',
    // android-emulator-runner, wait-on, service containers: an action gave up waiting for something to come up.
    patterns: [/\b(?:Timeout|Timed out) waiting for (?:the )?(?:emulator|device|service|container|server|deployment|port|database|health ?check|\w+ to (?:boot|start|become|be ready))\b/i],
    weight: 0.9,
    description: 'An action gave up waiting for an emulator, service or server to come up.',
    example: 'Error: Timeout waiting for emulator to boot.',
    exampleSource: 'reactivecircus/android-emulator-runner',
    nearMiss: ['Waiting for emulator to boot...', 'waiting for device'],
  }),
  rule('timeout', {
    id: 'timeout.actions.timeout-reached',
    // actions/deploy-pages and other polling actions print this when their own time limit runs out.
    patterns: [/^(?:Error: )?Timeout reached, aborting!?$/i, /^Error: (?:Deployment|Operation|Request) timed out after \d+/i],
    weight: 0.9,
    description: 'A polling action ran out of its own time limit.',
    tool: 'GitHub Actions',
    example: 'Error: Timeout reached, aborting!',
    exampleSource: 'actions/deploy-pages',
    nearMiss: ['Timeout: 600000 ms'],
  }),
  rule('infrastructure_error', {
    id: 'infra.actions.disk-almost-full',
    patterns: [/\bYou are running out of disk space\. The runner will stop working when the machine runs out of disk space\b/],
    weight: 0.9,
    description: 'The runner warned that its disk is nearly full (it stops working when it is).',
    tool: 'GitHub Actions',
    example: 'You are running out of disk space. The runner will stop working when the machine runs out of disk space. Free space left: 61 MB',
    exampleSource: 'GitHub Actions runner',
    nearMiss: ['Free space left: 14 GB'],
  }),
  rule('infrastructure_error', {
    id: 'infra.actions.action-download',
    // "Set up job" fetches every action's tarball; a GitHub outage shows here before any step runs.
    patterns: [/\bFailed to download action '[^']+'/, /\bFailed to resolve action download info\b/],
    weight: 0.95,
    description: 'The runner could not download an action during "Set up job" (a GitHub-side failure).',
    tool: 'GitHub Actions',
    example:
      "Warning: Failed to download action 'https://api.github.com/repos/actions/setup-go/tarball/93397bea11091df50f3d7e59dc26a7711a8bcfbe'. Error: Response status code does not indicate success: 502 (Bad Gateway).",
    exampleSource: 'GitHub Actions runner (Set up job)',
    nearMiss: ["Download action repository 'actions/setup-go@v5' (SHA:93397bea11091df50f3d7e59dc26a7711a8bcfbe)"],
  }),
  rule('infrastructure_error', {
    id: 'infra.actions.container-action-crash',
    patterns: [/^Error: Docker (?:build|pull) failed with exit code \d+/, /^Error: failed to (?:start|initialize) (?:the )?(?:job|service) containers?\b/i],
    weight: 0.6,
    description: 'The runner could not build or start an action or service container.',
    tool: 'GitHub Actions',
    example: 'Error: Docker pull failed with exit code 1',
    exampleSource: 'GitHub Actions runner',
    nearMiss: ['Docker pull completed'],
  }),
  rule('cancelled', {
    id: 'cancelled.process.terminated',
    explains: ['compilation_error', 'test_failure'],
    // Every process of a job receives SIGTERM when it is cancelled or hits timeout-minutes; make reports each one.
    patterns: [/^make(?:\[\d+\])?: \*\*\* \[[^\]]*\] Terminated$/, /^Terminated(?: \S+)?$/, /\bThe runner has received a cancellation\b/i],
    weight: 0.75,
    description: 'The job\'s processes were sent SIGTERM: the job was cancelled or stopped from outside.',
    example: 'make[2]: *** [Makefile:1024: all] Terminated',
    exampleSource: 'GNU make under a cancelled job',
    nearMiss: ['make[2]: *** [Makefile:1024: all] Error 2', 'Terminated process 1234 cleanly, restarting'],
  }),

  // ---------------------------------------------------------------- token permissions and GitHub's API
  rule('configuration_error', {
    id: 'config.actions.token-permission',
    explains: ['deployment_error'],
    patterns: [
      /\bResource not accessible by (?:integration|personal access token)\b/,
      /\bPermission to \S+ denied to (?:github-actions\[bot\]|\S+\[bot\])/,
      /\bThe requested URL returned error: 403\b.*\bgithub\.com\b|\bgithub\.com\/.*\bThe requested URL returned error: 403\b/,
      /\bRefusing to allow a GitHub App to create or update workflow\b/,
    ],
    weight: 1,
    rationale: TOKEN_PERMISSIONS,
    description: 'The GITHUB_TOKEN (or app token) is not allowed to do what the step asked (comment, push, release, pages).',
    tool: 'GitHub API',
    example: 'RequestError [HttpError]: Resource not accessible by integration',
    exampleSource: 'actions/github-script, gh CLI, Octokit',
    nearMiss: ['Resource not found', 'remote: Permission to push granted'],
  }),
  rule('network_error', {
    id: 'network.github.api-rate-limit',
    patterns: [/\bAPI rate limit exceeded for\b/i, /\bYou have exceeded a secondary rate limit\b/i, /\bRequest quota exhausted for request\b/],
    weight: 1,
    description: "GitHub's API rate limit for the token, user or app installation ran out; it resets within the hour.",
    tool: 'GitHub API',
    example: 'HttpError: API rate limit exceeded for installation ID 1234567.',
    exampleSource: 'GitHub REST API (Octokit)',
    nearMiss: ['x-ratelimit-remaining: 4999'],
  }),

  // ---------------------------------------------------------------- official actions
  rule('configuration_error', {
    id: 'config.checkout.credentials',
    // Git asks for a password when the URL is private and no token reaches it; in CI prompts are disabled.
    patterns: [/\bcould not read (?:Username|Password) for '[^']+': (?:terminal prompts disabled|No such device or address)\b/, /\bfatal: Authentication failed for '[^']+'/, /\bremote: Repository not found\.?$/],
    weight: 0.95,
    description: 'git had no credentials for the remote (a private repository or submodule, a token without access).',
    tool: 'git',
    example: "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
    exampleSource: 'git (actions/checkout)',
    nearMiss: ["fatal: unable to access 'https://github.com/o/r/': Could not resolve host: github.com"],
  }),
  rule('configuration_error', {
    id: 'config.artifact.not-found',
    patterns: [/\bArtifact not found for name: /, /\bUnable to (?:find|download) (?:any )?artifacts? (?:for the associated workflow|\(s\))/i, /\bno artifacts? (?:found|named)\b.*\bworkflow run\b/i],
    weight: 0.95,
    description: 'download-artifact found no artifact by that name in the run (a name mismatch, an expired or never-uploaded artifact).',
    tool: 'actions/download-artifact',
    example: 'Error: Unable to download artifact(s): Artifact not found for name: dist-linux',
    exampleSource: 'actions/download-artifact v4',
    nearMiss: ['Artifact download completed successfully.', 'Found 2 artifact(s)'],
  }),
  rule('configuration_error', {
    id: 'config.artifact.name-conflict',
    patterns: [/\ban artifact with this name already exists on the workflow run\b/, /\bFailed to CreateArtifact: .*\(409\) Conflict\b/],
    weight: 1,
    description: 'upload-artifact v4 refuses a second upload to the same artifact name in one run.',
    tool: 'actions/upload-artifact',
    example:
      'Error: Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: an artifact with this name already exists on the workflow run',
    exampleSource: 'actions/upload-artifact v4',
    nearMiss: ['Artifact name is valid!'],
  }),
  rule('infrastructure_error', {
    id: 'infra.artifact.service',
    patterns: [/\bFailed to (?:CreateArtifact|FinalizeArtifact|upload artifact).*(?:\b5\d\d\b|timed out|Request timeout|ECONNRESET)/i, /\bArtifact service responded with 5\d\d\b/i],
    weight: 0.9,
    description: "GitHub's artifact service failed during an upload or download.",
    tool: 'actions/upload-artifact',
    example: 'Error: Failed to FinalizeArtifact: Failed to make request after 5 attempts: Request timeout: /twirp/github.actions.results.api.v1.ArtifactService/FinalizeArtifact',
    exampleSource: 'actions/upload-artifact v4',
    nearMiss: ['Finalizing artifact upload'],
  }),
  rule('infrastructure_error', {
    id: 'infra.cache.service',
    patterns: [/\b(?:getCacheEntry|reserveCache|uploadChunk|commitCache)\b.*\bfailed\b/i, /\bCache service responded with (?:429|5\d\d)\b/i, /\bFailed to (?:save|restore): Cache service responded with\b/],
    weight: 0.9,
    risk: 20,
    rationale: CACHE_CORRUPT,
    remediation: 'rerun-failed-jobs',
    description: "GitHub's cache service failed to look up, reserve or upload a cache.",
    tool: 'actions/cache',
    example: 'Warning: Failed to restore: getCacheEntry failed: Cache service responded with 503',
    exampleSource: 'actions/cache (@actions/cache)',
    nearMiss: ['Cache not found for input keys: node-modules-abc', 'Cache saved with key: node-modules-abc'],
  }),
  rule('configuration_error', {
    id: 'config.setup.invalid-version',
    patterns: [
      /\bis not valid SemVer notation for a \w+ version\b/i,
      /\bCould not find (?:a )?satisfied version for (?:SemVer|version)\b/i,
      /\bUnable to find (?:Node|Go|Python|PyPy|Java|Ruby|\.NET) version '[^']+' for platform\b/i,
      /\bThe version '[^']+' with architecture '[^']+' was not found\b/,
      /\bNo matching version found for (?:Java|JDK)\b/i,
      /\bunknown ruby version\b|\bUnknown version [\w.]+ for \w+ on \w+/i,
      /\bMultiple versions of pnpm specified\b/,
      /\bERR_PNPM_BAD_PM_VERSION\b/,
    ],
    weight: 0.95,
    description: 'A setup-* action was asked for a version it cannot provide or parse (a typo, an expression that yielded junk, a retired version).',
    tool: 'setup action',
    example: "Error: The string 'lts' is not valid SemVer notation for a Java version. Please check README file for code snippets and more detailed information",
    exampleSource: 'actions/setup-java',
    nearMiss: ['Resolved Java 21.0.2+13 from tool-cache'],
  }),
  rule('network_error', {
    id: 'network.tool-cache.download',
    // @actions/tool-cache retries downloads; an `aborted` socket and the retry notice mean the download broke off.
    patterns: [/^(?:Error: )?aborted$/, /^(?:Error: )?Unexpected HTTP response: 5\d\d$/, /\bUnable to (?:download|get) (?:the )?(?:manifest|tool)\b.*\b(?:timed out|ECONNRESET|aborted|5\d\d)\b/i],
    weight: 0.75,
    description: 'A setup-* action could not download its tool (the socket was aborted, the host answered 5xx).',
    tool: 'actions/tool-cache',
    example: 'Error: aborted',
    exampleSource: '@actions/tool-cache (setup-node, setup-go, setup-python)',
    nearMiss: ['Error: aborted by the user', 'Aborted (core dumped)'],
  }),
  rule('network_error', {
    id: 'network.actions.retrying',
    // The toolkit's retry helper. A retry alone is weak evidence: checkout also retries on bad credentials.
    patterns: [/^Waiting \d+ seconds before trying again$/],
    weight: 0.35,
    description: 'An official action retried a request (download, git fetch) after a failure.',
    tool: 'GitHub Actions',
    example: 'Waiting 13 seconds before trying again',
    exampleSource: '@actions/tool-cache and actions/checkout retry helpers',
    nearMiss: ['Waiting for a runner to pick up this job...'],
  }),

  // ---------------------------------------------------------------- the step that ran (weak context, never alone decisive against a specific line)
  rule('deployment_error', {
    id: 'deploy.step.deploy-or-publish',
    patterns: [
      /^Run (?:\S+\/)?(?:deploy-\w+|[\w-]*-deploy|webapps-deploy|functions-deploy|deploy-pages|deploy-cloudrun|action-gh-release|gh-action-pypi-publish|ssh-action|scp-action|aws-actions\/amazon-ecs-deploy-task-definition|peaceiris\/actions-gh-pages|JamesIves\/github-pages-deploy-action|FirebaseExtended\/action-hosting-deploy)\b/i,
      /^Run (?:npx )?(?:npm|yarn|pnpm) publish\b|^Run (?:python -m )?twine upload\b|^Run cargo publish\b|^Run gem push\b|^Run dotnet nuget push\b|^Run (?:npx )?(?:firebase|vercel|netlify|wrangler|fly|flyctl) deploy\b|^Run (?:helm (?:upgrade|install)|kubectl (?:apply|rollout)|terraform apply|gcloud \w+ deploy|az webapp deploy|aws (?:ecs|s3|cloudformation|lambda) |serverless deploy|sam deploy|cdk deploy)\b/i,
    ],
    weight: 0.5,
    description: 'The failing step is a deploy or publish step: its errors are about the target, not the code.',
    example: 'Run google-github-actions/deploy-cloudrun@v2',
    exampleSource: 'GitHub Actions step header',
    nearMiss: ['Run npm test', 'Run actions/checkout@v4'],
  }),
  rule('lint_error', {
    id: 'lint.step.linter',
    patterns: [
      /^Run (?:\S+\/)?(?:golangci-lint-action|super-linter|action-eslint|eslint-action|black|ruff-action|flake8-action|rubocop-action|actionlint|shellcheck|markdownlint-cli2-action|commitlint-github-action|wagoid\/commitlint-github-action|mypy-github-action|pre-commit\/action|reviewdog\/\S+|ktlint\S*|detekt\S*)\b/i,
      /^Run (?:npx |yarn |pnpm |npm run |poetry run |uv run )?(?:eslint|prettier --check|ruff (?:check|format --check)|flake8|pylint|mypy|golangci-lint|cargo clippy|cargo fmt --check|rubocop|ktlint|detekt|shellcheck|actionlint|lint|pre-commit run)\b/i,
    ],
    weight: 0.5,
    description: 'The failing step is a linter, formatter or type checker.',
    example: 'Run golangci/golangci-lint-action@v6',
    exampleSource: 'GitHub Actions step header',
    nearMiss: ['Run npm ci', 'Run go test ./...'],
  }),

  // ---------------------------------------------------------------- more runner and action messages
  rule('cancelled', {
    id: 'cancelled.actions.run-cancelled',
    patterns: [/\bThe run was canceled by @\S+/, /\bThe job was canceled because "[^"]+" failed\b/],
    weight: 1,
    description: 'A person cancelled the run, or fail-fast cancelled this job after a matrix sibling failed.',
    tool: 'GitHub Actions',
    example: 'The job was canceled because "build_ubuntu-latest_20" failed.',
    exampleSource: 'GitHub Actions (fail-fast matrix)',
    nearMiss: ['The job was not started because the workflow was skipped.'],
  }),
  rule('configuration_error', {
    id: 'config.actions.billing-or-quota',
    patterns: [/\bThe job was not started because (?:recent account payments have failed|your account is locked|your spending limit needs to be increased)\b/, /\bThis repository is over its data quota\b/],
    weight: 1,
    description: 'GitHub would not run the job or serve LFS objects because of billing or quota.',
    tool: 'GitHub Actions',
    example: 'The job was not started because recent account payments have failed or your spending limit needs to be increased. Please check the \'Billing & plans\' section in your settings',
    exampleSource: 'GitHub Actions',
    nearMiss: ['The job was not started because the workflow was skipped.'],
  }),
  rule('configuration_error', {
    id: 'config.setup.cache-input',
    // setup-node/python/go with `cache:` need a lock file to key the cache on.
    patterns: [/\bDependencies lock file is not found in \S+\. Supported file patterns: /, /\bNo file in \S+ matched to \[[^\]]+\], make sure you have checked out the target repository\b/, /\bSome specified paths were not resolved, unable to cache dependencies\b/, /\bUnable to locate executable file: \S+\. Please verify either the file path exists\b/],
    weight: 0.95,
    description: 'A setup-* action was configured to cache on a lock file, or to run a tool, that is not in the checkout.',
    tool: 'setup action',
    example: 'Error: Dependencies lock file is not found in /home/runner/work/app/app. Supported file patterns: package-lock.json,npm-shrinkwrap.json,yarn.lock',
    exampleSource: 'actions/setup-node',
    nearMiss: ['Cache restored from key: node-cache-Linux-x64-npm-4f2a'],
  }),
  rule('configuration_error', {
    id: 'config.actions.file-command',
    patterns: [/\bUnable to process file command '(?:env|output|path|state)' successfully\b/, /\bInvalid format '[^']*'$/, /\bMatrix vector '[^']+' does not contain any values\b/],
    weight: 0.95,
    description: 'A step wrote GITHUB_ENV or GITHUB_OUTPUT in a shape the runner cannot parse (often a multi-line value).',
    tool: 'GitHub Actions',
    example: "Error: Unable to process file command 'output' successfully.",
    exampleSource: 'GitHub Actions runner',
    nearMiss: ['Set output: version=1.2.3'],
  }),
  rule('configuration_error', {
    id: 'config.git.submodule-or-ref',
    patterns: [/\bNo url found for submodule path '[^']+' in \.gitmodules\b/, /\bfatal: reference is not a tree: [0-9a-f]{7,}/, /\berror: pathspec '[^']+' did not match any file\(s\) known to git\b/, /\bHost key verification failed\.?$/, /\bPermission denied \(publickey(?:,[\w-]+)*\)\.?$/],
    weight: 0.9,
    description: 'git could not check out what the workflow asked for: a submodule without a URL or commit, a ref that is not there, an SSH key that is not set up.',
    tool: 'git',
    example: "fatal: No url found for submodule path 'vendor/lib' in .gitmodules",
    exampleSource: 'git (actions/checkout with submodules)',
    nearMiss: ["Submodule path 'vendor/lib': checked out '3f2a1c0'"],
  }),
  rule('configuration_error', {
    id: 'config.cloud.login',
    patterns: [/\bthe GitHub Action workflow must specify exactly one of "workload_identity_provider" or "credentials_json"/, /\bAADSTS\d{5,}: /, /\bLogin failed with Error: .*\bPlease check the credentials\b/, /^Error: Username and password required$/, /\bgoogle-github-actions\/auth failed with: /],
    weight: 0.95,
    description: 'Logging in to a cloud or registry failed because the workflow\'s credentials or identity federation are not set up.',
    example: "Error: AADSTS70021: No matching federated identity record found for presented assertion.",
    exampleSource: 'azure/login (Microsoft Entra ID)',
    nearMiss: ['Login successful.'],
  }),
];
