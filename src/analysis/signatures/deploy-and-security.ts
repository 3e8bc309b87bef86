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
    patterns: [/^ERROR: \(gcloud\.[\w.-]+\) /, /\bis not supported in the declared launch stage\b/, /\bRevision '[^']+' is not ready and cannot serve traffic\b/],
    weight: 0.9,
    rationale: DEPLOY,
    description: 'Google Cloud refused the deployment (Cloud Run, App Engine, Functions).',
    tool: 'gcloud',
    example: 'ERROR: (gcloud.run.deploy) Revision \'api-00012-xyz\' is not ready and cannot serve traffic.',
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
  rule('security_scan', {
    id: 'security.pip-audit-osv',
    patterns: [/^Found [1-9]\d* known vulnerabilit(?:y|ies) in \d+ packages?$/, /\bfound [1-9]\d* (?:vulnerabilities|vulnerable packages)\b/i, /^\s*Total: [1-9]\d* \(.*CRITICAL: \d+\)$/],
    weight: 0.95,
    rationale: SECURITY,
    description: 'A dependency scanner (pip-audit, osv-scanner, trivy, grype) found known vulnerabilities.',
    example: 'Found 2 known vulnerabilities in 1 package',
    exampleSource: 'pip-audit',
    nearMiss: ['No known vulnerabilities found', 'found 0 vulnerabilities'],
  }),
];
