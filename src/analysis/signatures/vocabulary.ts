import { rule, type Signature } from './rule.ts';

/**
 * The last resort before `unknown`: words any tool uses for a kind of failure ("deployment failed", "403
 * Forbidden", "timed out", "no tests ran"), and the kind of step that failed (its `Run …` command or its name).
 * These rules are weak on purpose (about 0.5): on the key line they name a failure no specific rule knows;
 * anywhere else they only tip a close call. A specific rule on any signal line outweighs them.
 */

/** A step name from the job (`failedStep`), as the analyzer hands it to the rules: `Step: Deploy to staging`. */
const STEP = String.raw`^(?:Run |Step: )`;

export const VOCABULARY_SIGNATURES: readonly Signature[] = [
  // ---------------------------------------------------------------- the kind of step that failed
  rule('test_failure', {
    id: 'vocab.step.tests',
    patterns: [
      new RegExp(String.raw`${STEP}(?:npx |yarn |pnpm |npm run |poetry run |uv run |bundle exec |python -m )?(?:npm (?:run )?test|yarn test|pnpm test|jest|vitest|mocha|pytest|tox|nox|go test|cargo test|cargo nextest|mvn (?:-\S+ )*(?:test|verify)|\./gradlew (?:\S+ )*(?:test|check|connected\w*AndroidTest)|gradle test|rspec|rake test|phpunit|vendor/bin/phpunit|dotnet test|swift test|ctest|make (?:test|check)|playwright test|cypress run|xcodebuild (?:\S+ )*test)\b`, 'i'),
      /^Step: .*\b(?:unit tests?|integration tests?|e2e|end-to-end|run tests|tests?)\b/i,
    ],
    weight: 0.45,
    description: 'The failing step runs the tests.',
    example: 'Run npm test',
    exampleSource: 'GitHub Actions step header',
    nearMiss: ['Run npm ci', 'Step: Build'],
  }),
  rule('compilation_error', {
    id: 'vocab.step.build',
    patterns: [
      new RegExp(String.raw`${STEP}(?:npm run build|yarn build|pnpm build|tsc\b|npx tsc|cargo build|go build|go vet|mvn (?:-\S+ )*(?:compile|package)|\./gradlew (?:\S+ )*(?:assemble\w*|build|compile\w*)|dotnet build|msbuild|cmake --build|make(?: -j\s?\d+)?$|ninja|xcodebuild(?! .*\btest\b)|swift build|docker build|docker buildx build)`, 'i'),
      /^Step: .*\b(?:build|compile)\b/i,
    ],
    weight: 0.45,
    description: 'The failing step builds the code.',
    example: 'Run cargo build --release --locked',
    exampleSource: 'GitHub Actions step header',
    nearMiss: ['Run cargo test', 'Step: Upload artifacts'],
  }),
  rule('dependency_error', {
    id: 'vocab.step.install',
    patterns: [
      new RegExp(String.raw`${STEP}(?:npm (?:ci|install)|yarn(?: install)?$|yarn install|pnpm install|pip install|python -m pip install|uv sync|uv pip install|poetry install|pipenv install|bundle install|composer install|composer update|go mod download|cargo fetch|dotnet restore|nuget restore|pod install|swift package resolve|apt-get install|sudo apt-get install|brew install)\b`, 'i'),
      /^Step: .*\b(?:install (?:dependencies|deps|packages)|dependencies)\b/i,
    ],
    weight: 0.45,
    description: 'The failing step installs dependencies.',
    example: 'Run pip install -r requirements.txt',
    exampleSource: 'GitHub Actions step header',
    nearMiss: ['Run pip --version', 'Step: Check docs are up to date'],
  }),
  rule('deployment_error', {
    id: 'vocab.step.deploy',
    patterns: [
      /^Step: .*\b(?:deploy\w*|publish\w*|release|push (?:image|to)|upload to (?:pypi|npm|s3))\b/i,
      // The commands (and official actions) that deploy or publish, as the step's `Run …` header shows them.
      new RegExp(String.raw`${STEP}(?:kubectl (?:apply|rollout|set image|create)|helm (?:upgrade|install)|terraform (?:apply|destroy)|terragrunt (?:run-all )?apply|pulumi up|aws (?:s3 (?:sync|cp)|ecs update-service|cloudformation deploy|lambda update-function-code|deploy)|gcloud (?:\S+ )*deploy|az (?:webapp|functionapp|deployment|containerapp) |firebase deploy|vercel|netlify deploy|flyctl deploy|fly deploy|npm publish|yarn (?:npm )?publish|pnpm publish|twine upload|poetry publish|uv publish|cargo publish|gem push|dotnet nuget push|docker (?:image )?push|gh release|(?:\S+\/)?(?:ghaction-github-pages|actions-gh-pages|deploy-pages|webapps-deploy|amazon-ecs-deploy-task-definition|deploy-cloudrun|pypi-publish|action-gh-release|JamesIves\/github-pages-deploy-action)\b)`, 'i'),
    ],
    weight: 0.45,
    description: 'The failing step (by its name or its command) deploys or publishes.',
    example: 'Step: Deploy to production',
    exampleSource: 'GitHub Actions job steps (failedStep)',
    nearMiss: ['Step: Build notes', 'Run kubectl get pods', 'Run helm lint ./chart', 'Run terraform plan'],
  }),
  rule('lint_error', {
    id: 'vocab.step.lint',
    patterns: [
      /^Step: .*\b(?:lint\w*|format(?:ting)? check|check format\w*|style|type[- ]?check\w*|pre-commit|commitlint)\b/i,
      // Linters and format checkers by their command (and their official actions).
      new RegExp(String.raw`${STEP}(?:npx |yarn |pnpm |poetry run |uv run |bundle exec |python -m |pipx run )?(?:npm run (?:lint|format:check|check-format)(?:\s|$)|yarn lint(?:\s|$)|pnpm lint(?:\s|$)|eslint\b|prettier (?:\S+ )*--check\b|ruff (?:check|format --check)\b|flake8\b|pylint\b|black (?:\S+ )*--check\b|isort (?:\S+ )*--check|mypy\b|pyright\b|golangci-lint\b|gofmt -l\b|cargo clippy\b|cargo fmt\b|rubocop\b|standardrb\b|shellcheck\b|hadolint\b|actionlint\b|markdownlint\S*|yamllint\b|ktlint\b|\./gradlew (?:\S+ )*(?:lint\w*|ktlintCheck|detekt|spotlessCheck)\b|swiftlint\b|pre-commit run\b|(?:\S+\/)?(?:golangci-lint-action|super-linter|action-shellcheck|pre-commit\/action)\b)`, 'i'),
    ],
    weight: 0.45,
    description: 'The failing step (by its name or its command) lints, checks formatting or types.',
    example: 'Step: Lint',
    exampleSource: 'GitHub Actions job steps (failedStep)',
    nearMiss: ['Step: Unit tests', 'Run prettier --write .', 'Run cargo build', 'Run npm run lint-staged-setup'],
  }),
  rule('security_scan', {
    id: 'vocab.step.scan',
    patterns: [/^Run (?:\S+\/)?(?:trivy-action|grype|anchore\/scan-action|snyk\/actions\S*|codeql-action\/analyze|gitleaks-action|dependency-review-action|trufflehog|semgrep\S*|pip-audit\S*|osv-scanner\S*)\b/i, /^Step: .*\b(?:security|vulnerabilit\w+|codeql|secret scan\w*|scan)\b/i],
    weight: 0.45,
    description: 'The failing step is a security scanner.',
    example: 'Run aquasecurity/trivy-action@0.24.0',
    exampleSource: 'GitHub Actions step header',
    nearMiss: ['Run actions/setup-python@v5'],
  }),

  // ---------------------------------------------------------------- words for a kind of failure
  rule('deployment_error', {
    id: 'vocab.words.deploy-failed',
    patterns: [/\b(?:deploy(?:ment)?|publish(?:ing)?|release|rollout|upload) (?:has )?failed\b/i, /\bfailed to (?:deploy|publish|release|roll out)\b/i],
    weight: 0.5,
    description: 'A tool says a deployment, publish or release failed.',
    example: 'Rollout failed: 2 of 3 replicas did not become ready',
    exampleSource: 'deploy tools and actions',
    nearMiss: ['Deployment succeeded'],
  }),
  rule('configuration_error', {
    id: 'vocab.words.refused-credentials',
    patterns: [/\b40[13] (?:Unauthorized|Forbidden)\b/i, /\bHTTP (?:Error )?40[13]\b/i, /\bstatus(?: code)?:? 40[13]\b/i, /\b(?:bad|invalid|expired|missing) (?:credentials|token|api key|password)\b/i, /\bauthentication (?:failed|required)\b/i, /\baccess (?:is )?denied\b/i, /\bPERMISSION_DENIED\b/, /\bPermission '[\w.]+' denied\b/, /\bAuthorizationFailed\b/],
    weight: 0.5,
    description: 'A service refused the request for want of (valid) credentials or permission.',
    example: 'Error: Request failed with status code 403',
    exampleSource: 'HTTP clients (axios, fetch wrappers, CLIs)',
    nearMiss: ['Request failed with status code 404', 'Authentication succeeded'],
  }),
  rule('timeout', {
    id: 'vocab.words.timed-out',
    patterns: [/\b(?:timed out|timeout (?:exceeded|expired|reached)|deadline exceeded|took too long)\b/i],
    weight: 0.45,
    description: 'Something ran out of time (not a network socket: those have their own rules).',
    example: 'Error: waiting for the rollout timed out after 600s',
    exampleSource: 'CLIs and actions that wait',
    nearMiss: ['timeout: 600s'],
  }),
  rule('network_error', {
    id: 'vocab.words.unreachable',
    patterns: [/\b(?:network (?:error|is unreachable)|no route to host|host unreachable|connection (?:refused|closed|aborted|failed)|service unavailable|bad gateway)\b/i],
    weight: 0.5,
    description: 'A host could not be reached or answered that it is unavailable.',
    example: 'curl failed: connection refused by api.example.com',
    exampleSource: 'HTTP clients',
    nearMiss: ['Connection established'],
  }),
  rule('dependency_error', {
    id: 'vocab.words.missing-package',
    patterns: [/\b(?:package|module|dependency|version|library|gem|crate|artifact) (?:\S+ )?(?:not found|could not be (?:found|resolved)|does not exist|is not available|unavailable)\b/i, /\bno matching (?:version|package)\b/i, /\b(?:unable|failed) to resolve (?:dependenc|packages?|modules?)/i],
    weight: 0.5,
    description: 'A package, module or version could not be found or resolved.',
    example: 'error: package foo-utils not found in any configured registry',
    exampleSource: 'package managers',
    nearMiss: ['Resolved 12 packages in 40ms'],
  }),
  rule('test_failure', {
    id: 'vocab.words.tests-failed',
    patterns: [/\b[1-9]\d* (?:tests?|specs?|examples?|scenarios?|assertions?) failed\b/i, /\btests? (?:run|suite)s? failed\b/i, /\bsome tests failed\b/i],
    weight: 0.5,
    description: 'A test runner says tests failed.',
    example: 'Some tests failed; see the report above.',
    exampleSource: 'test runners',
    nearMiss: ['0 tests failed'],
  }),
  rule('lint_error', {
    id: 'vocab.words.lint-failed',
    patterns: [/\b(?:lint(?:ing)?|linter|style check|format(?:ting)? check|code style)\b.*\b(?:failed|errors?|violations?|issues found)\b/i],
    weight: 0.5,
    description: 'A linter or format check says it failed.',
    example: 'Linting failed with 3 errors',
    exampleSource: 'linters',
    nearMiss: ['Linting passed'],
  }),
  rule('security_scan', {
    id: 'vocab.words.vulnerabilities',
    patterns: [/\b(?:found|detected) [1-9]\d* (?:\w+ )?(?:vulnerabilit(?:y|ies)|secrets?|leaks?)\b/i, /\bfound [1-9]\d* issues? with severity\b/i, /\b[1-9]\d* (?:critical |high |medium )?(?:vulnerabilit(?:y|ies)|security (?:issues|alerts|findings)|secrets? (?:found|detected))\b/i],
    weight: 0.5,
    description: 'A scanner says it found vulnerabilities or secrets.',
    example: 'Scan finished: 4 high vulnerabilities',
    exampleSource: 'security scanners',
    nearMiss: ['found 0 vulnerabilities', 'Found 3 files to scan', '0 vulnerabilities'],
  }),
  rule('infrastructure_error', {
    id: 'vocab.words.out-of-resources',
    patterns: [/\b(?:out of memory|OOMKilled|OOM killer|disk (?:is )?full|insufficient (?:memory|disk space))\b/i],
    weight: 0.55,
    description: 'The machine ran out of memory or disk.',
    example: 'Container build-7f9 was OOMKilled',
    exampleSource: 'runners and container platforms',
    nearMiss: ['Memory usage: 1.2 GB of 7 GB'],
  }),
];
