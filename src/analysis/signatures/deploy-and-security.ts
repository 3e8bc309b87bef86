import { DEPLOY, SECURITY, rule, type Signature } from './rule.ts';

/**
 * Deploys (kubectl, helm, terraform, cloud CLIs and their actions, GitHub Pages and releases), publishing to
 * registries (npm, PyPI, crates.io, RubyGems), and security scanners. A refused publish is a deployment error
 * even when the reason is a token (the labels of gha-dev agree: the target refused, a person checks).
 */
export const DEPLOY_AND_SECURITY_SIGNATURES: readonly Signature[] = [
  // ---------------------------------------------------------------- publishing
  rule('deployment_error', {
    id: 'deploy.npm.publish-refused',
    explains: ['dependency_error'],
    // npm publishes with an HTTP PUT; a 4xx on a PUT is the registry refusing the publish.
    patterns: [/^\s*npm (?:ERR!|error) (?:40[0-4]|409|422) [\w ]+ - PUT https?:\/\//, /\bYou cannot publish over the previously published versions?\b/, /\bYou do not have permission to publish "[^"]+"/, /\bUnable to determine the current version of \S+ on NPM\b/],
    weight: 1,
    rationale: DEPLOY,
    description: 'The npm registry refused a publish (wrong registry or scope, missing token, version already published).',
    tool: 'npm publish',
    example: 'npm ERR! 404 Not Found - PUT https://registry.npmjs.org/@acme%2fwidgets - Not found',
    exampleSource: 'npm publish',
    nearMiss: ['npm ERR! 404 Not Found - GET https://registry.npmjs.org/@acme%2fwidgets - Not found'],
  }),
  rule('deployment_error', {
    id: 'deploy.pypi.upload-refused',
    patterns: [/\bHTTPError: 4\d\d [\w ]+ from https?:\/\/(?:upload\.pypi\.org|test\.pypi\.org|\S+\/legacy\/)/, /\bInvalid or non-existent authentication information\b/, /\bInvalid API Token: /, /\bFile already exists\. See https?:\/\/\S*pypi\.org\/help\/#file-name-reuse\b/, /\bTrusted publishing exchange failure\b/],
    weight: 1,
    rationale: DEPLOY,
    description: 'PyPI refused the upload (bad token or trusted-publisher setup, a file that already exists).',
    tool: 'twine',
    example: 'HTTPError: 400 Bad Request from https://upload.pypi.org/legacy/',
    exampleSource: 'twine upload / pypa/gh-action-pypi-publish',
    nearMiss: ['Uploading distributions to https://upload.pypi.org/legacy/'],
  }),
  rule('deployment_error', {
    id: 'deploy.github.release-or-pages',
    patterns: [/\bGitHub release failed with status: \d+/, /\bFailed to create deployment \(status: \d+\)/, /\bThe process '\S*git' failed with exit code \d+\b.*\bgh-pages\b/, /\bDeployment failed, try again later\.?$/, /\bFailed to create (?:a )?release\b/i],
    weight: 0.9,
    rationale: DEPLOY,
    description: 'Creating a GitHub release or a Pages deployment failed.',
    tool: 'GitHub',
    example: '⚠️ GitHub release failed with status: 422',
    exampleSource: 'softprops/action-gh-release',
    nearMiss: ['🎉 Release ready at https://github.com/o/r/releases/tag/v1.2.3'],
  }),

  // ---------------------------------------------------------------- cloud deploys
  rule('configuration_error', {
    id: 'config.aws.credentials',
    explains: ['deployment_error'],
    patterns: [/\bCould not assume role with OIDC\b/, /\bNot authorized to perform sts:AssumeRoleWithWebIdentity\b/, /\bCredentials could not be loaded, please check your action inputs\b/, /\bThe security token included in the request is invalid\b/],
    weight: 1,
    description: 'configure-aws-credentials could not get credentials (the role trust policy, OIDC provider or secrets are wrong).',
    tool: 'aws-actions/configure-aws-credentials',
    example: 'Error: Could not assume role with OIDC: Not authorized to perform sts:AssumeRoleWithWebIdentity',
    exampleSource: 'aws-actions/configure-aws-credentials',
    nearMiss: ['Assuming role with OIDC'],
  }),
  rule('deployment_error', {
    id: 'deploy.kubernetes.auth',
    patterns: [/\berror: You must be logged in to the server\b/, /\bthe server has asked for the client to provide credentials\b/, /\bUnable to connect to the server: (?:dial tcp|x509|getting credentials)\b/],
    weight: 0.9,
    rationale: DEPLOY,
    description: 'kubectl or helm could not authenticate to the cluster.',
    tool: 'kubectl',
    example: 'error: You must be logged in to the server (Unauthorized)',
    exampleSource: 'kubectl',
    nearMiss: ['Switched to context "prod".'],
  }),
  rule('deployment_error', {
    id: 'deploy.helm.command-failed',
    // Deploy scripts that shell out to helm, kubectl or terraform report the command that failed.
    patterns: [/\bCalledProcessError: Command '\[?'(?:helm|kubectl|terraform|gcloud|az|aws)'/, /\bCommand '\[?'(?:helm|kubectl|terraform)', '(?:upgrade|install|apply|rollout)'.*returned non-zero exit status\b/],
    weight: 0.85,
    rationale: DEPLOY,
    description: 'A deploy script ran helm, kubectl or terraform and the command failed.',
    tool: 'helm',
    example: "subprocess.CalledProcessError: Command '['helm', 'upgrade', '--install', 'web', './chart']' returned non-zero exit status 1.",
    exampleSource: 'Python deploy scripts (subprocess)',
    nearMiss: ["subprocess.CalledProcessError: Command '['pytest', '-q']' returned non-zero exit status 1."],
  }),
  rule('deployment_error', {
    id: 'deploy.firebase.http',
    patterns: [/^\s*(?:⚠|Error:)\s+\w+: Upload Error: HTTP Error: \d{3}\b/, /^Error: HTTP Error: \d{3}, /, /^Error: (?:Failed to (?:get Firebase project|deploy|create|update)|Request to \S+ had HTTP Error: \d{3})\b/],
    weight: 0.85,
    rationale: DEPLOY,
    description: 'firebase deploy failed talking to Google Cloud (permission, quota or API errors).',
    tool: 'firebase',
    example: 'Error: HTTP Error: 403, The caller does not have permission',
    exampleSource: 'firebase-tools',
    nearMiss: ['✔  Deploy complete!'],
  }),
  rule('deployment_error', {
    id: 'deploy.azure.webapp',
    patterns: [/\bDeployment Failed,? .*\b(?:ZIP|Zip|OneDeploy|WAR) Deploy\b/, /\bFailed to deploy web package to App Service\b/, /\bPackage deployment using \w+ Deploy failed\b/],
    weight: 0.95,
    rationale: DEPLOY,
    description: 'azure/webapps-deploy (Kudu) failed to deploy the package.',
    tool: 'azure/webapps-deploy',
    example: 'Error: Failed to deploy web package to App Service.',
    exampleSource: 'azure/webapps-deploy',
    nearMiss: ['Package deployment using ZIP Deploy initiated.'],
  }),
  rule('deployment_error', {
    id: 'deploy.gcloud.rejected',
    patterns: [/\bis not supported in the declared launch stage\b/, /\bThe user-provided container failed to start and listen on the port defined provided by the PORT\b/],
    weight: 0.9,
    rationale: DEPLOY,
    description: 'Google Cloud refused the deployment (Cloud Run, App Engine, Functions).',
    tool: 'gcloud',
    example: "Error: The feature 'multi-container' is not supported in the declared launch stage on resource api.",
    exampleSource: 'gcloud / google-github-actions/deploy-cloudrun',
    nearMiss: ['Deploying container to Cloud Run service [api] in project [p] region [us-central1]'],
  }),

  // ---------------------------------------------------------------- security scanners
  rule('security_scan', {
    id: 'security.gitleaks.detected',
    patterns: [/\bLeaks detected\b/i, /\bGitleaks encountered leaks\b/i, /^Finding:\s+\S/, /^RuleID:\s+\S/],
    weight: 0.95,
    rationale: SECURITY,
    description: 'gitleaks (or gitleaks-action) found secrets in the scanned commits.',
    tool: 'gitleaks',
    example: 'Error: 🛑 Leaks detected, see job summary for details',
    exampleSource: 'gitleaks/gitleaks-action',
    nearMiss: ['INF no leaks found'],
  }),

  // ---------------------------------------------------------------- more publishing and deploys
  rule('deployment_error', {
    id: 'deploy.registry.publish-refused',
    patterns: [/\bcrate version `[^`]+` is already uploaded\b/, /\berror: failed to publish to registry at\b/, /\bRepushing of gem versions is not allowed\b/, /\bResponse status code does not indicate success: (?:401|403|409) \((?:Unauthorized|Forbidden|Conflict|The specified API key is invalid|The feed already contains)/, /\bFailed to deploy artifacts: Could not transfer artifact .*\b(?:401|403|409|Unauthorized|Forbidden|Conflict)\b/],
    weight: 1,
    rationale: DEPLOY,
    description: 'A registry (crates.io, RubyGems, NuGet, Maven) refused a publish: the version exists or the key is not accepted.',
    example: 'error: crate version `0.4.2` is already uploaded',
    exampleSource: 'cargo publish',
    nearMiss: ['Uploading serde v1.0.200 (/home/runner/work/serde/serde)'],
  }),
  rule('deployment_error', {
    id: 'deploy.remote.ssh',
    patterns: [/\bssh: handshake failed: ssh: unable to authenticate\b/, /\bdial tcp [\d.:[\]a-f]*: connect: (?:connection refused|no route to host)\b/, /\bProcess exited with status \d+ from signal\b/],
    weight: 0.85,
    rationale: DEPLOY,
    description: 'An SSH deploy could not log in to or reach the target host.',
    tool: 'ssh',
    example: '2024/05/01 10:40:37 ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey], no supported methods remain',
    exampleSource: 'appleboy/ssh-action',
    nearMiss: ['======CMD======'],
  }),
  rule('deployment_error', {
    id: 'deploy.environment.protection',
    patterns: [/\bThe deployment was rejected or didn't satisfy other protection rules\b/, /\bBranch "[^"]+" is not allowed to deploy to \S+ due to environment protection rules\b/, /\bGet Pages site failed\. Please verify that the repository has Pages enabled\b/],
    weight: 1,
    rationale: DEPLOY,
    description: 'The deployment environment (or Pages) refused the deploy: protection rules, or Pages not enabled.',
    tool: 'GitHub',
    example: 'Branch "feature/x" is not allowed to deploy to github-pages due to environment protection rules.',
    exampleSource: 'GitHub environments',
    nearMiss: ['Waiting for review: production needs approval to start deploying changes.'],
  }),

  // ---------------------------------------------------------------- more scanners
  rule('security_scan', {
    id: 'security.scanners.findings',
    patterns: [/\bDependency review detected (?:vulnerable packages|incompatible licenses|invalid packages)\b/, /^Ran \d+ rules? on \d+ files?: [1-9]\d* findings?\.$/, /\bFound (?:verified|unverified) result 🐷🔑/, /^\s*Failed checks: [1-9]\d*,?/, /^\s*[1-9]\d* potential problems? detected\.?$/, /^\s*Total: [1-9]\d* \((?:UNKNOWN: \d+, )?LOW: \d+, MEDIUM: \d+, HIGH: \d+, CRITICAL: \d+\)$/],
    weight: 0.95,
    rationale: SECURITY,
    description: 'dependency-review, semgrep, trufflehog, checkov, tfsec or trivy reported findings.',
    example: 'Ran 312 rules on 87 files: 3 findings.',
    exampleSource: 'semgrep',
    nearMiss: ['Ran 312 rules on 87 files: 0 findings.'],
  }),
];
