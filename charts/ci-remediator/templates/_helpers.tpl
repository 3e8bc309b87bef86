{{/* Names and labels, as `helm create` writes them. */}}
{{- define "ci-remediator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ci-remediator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "ci-remediator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ci-remediator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "ci-remediator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "ci-remediator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ci-remediator
{{- end }}

{{- define "ci-remediator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ci-remediator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "ci-remediator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The namespaces watched, as a JSON list (empty when all namespaces are watched). */}}
{{- define "ci-remediator.watchNamespaces" -}}
{{- if .Values.watch.allNamespaces }}
{{- list | toJson }}
{{- else if .Values.watch.namespaces }}
{{- .Values.watch.namespaces | toJson }}
{{- else }}
{{- list .Release.Namespace | toJson }}
{{- end }}
{{- end }}

{{/*
The V8 old-space bound in MiB, by docs/operator.md's sizing rule: 128 MiB up to 10,000 cached records, plus
3 MiB per 1,000 records above (rounded up).
*/}}
{{- define "ci-remediator.maxOldSpaceMiB" -}}
{{- if gt (int .Values.sizing.maxOldSpaceMiB) 0 }}
{{- int .Values.sizing.maxOldSpaceMiB }}
{{- else }}
{{- $above := sub (max (int .Values.sizing.expectedRecords) 10000) 10000 }}
{{- add 128 (mul 3 (div (add $above 999) 1000)) }}
{{- end }}
{{- end }}

{{/* Memory request and limit when resources give none: the old space plus 128 MiB (process, young generation). */}}
{{- define "ci-remediator.memory" -}}
{{- printf "%dMi" (add (int (include "ci-remediator.maxOldSpaceMiB" .)) 128) }}
{{- end }}

{{/* The chart's own Secret, holding every credential given inline. */}}
{{- define "ci-remediator.secretName" -}}
{{- printf "%s-credentials" (include "ci-remediator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Where each credential comes from: a dict of name -> {secret, key}, for the credentials in use. Inline values
go to the chart's Secret under the same keys an existingSecret must have.
*/}}
{{- define "ci-remediator.credentials" -}}
{{- $own := include "ci-remediator.secretName" . }}
{{- $c := dict }}
{{- with .Values.database }}
{{- if .existingSecret }}
{{- $_ := set $c "database-url" (dict "secret" .existingSecret "key" .existingSecretKey) }}
{{- else if .url }}
{{- $_ := set $c "database-url" (dict "secret" $own "key" "database-url" "value" .url) }}
{{- end }}
{{- end }}
{{- with .Values.github }}
{{- if eq .auth "token" }}
{{- $_ := set $c "github-token" (dict "secret" (default $own .existingSecret) "key" (ternary "token" "github-token" (not (empty .existingSecret))) "value" .token) }}
{{- else if eq .auth "app" }}
{{- $_ := set $c "github-app-private-key" (dict "secret" (default $own .existingSecret) "key" (ternary "private-key" "github-app-private-key" (not (empty .existingSecret))) "value" .app.privateKey) }}
{{- end }}
{{- end }}
{{- if .Values.ingest.enabled }}
{{- with .Values.ingest }}
{{- $_ := set $c "ingest-secret" (dict "secret" (default $own .existingSecret) "key" (ternary "secret" "ingest-secret" (not (empty .existingSecret))) "value" .secret) }}
{{- end }}
{{- end }}
{{- if .Values.sources.webhook.enabled }}
{{- with .Values.sources.webhook }}
{{- $_ := set $c "github-webhook-secret" (dict "secret" (default $own .existingSecret) "key" (ternary "webhook-secret" "github-webhook-secret" (not (empty .existingSecret))) "value" .secret) }}
{{- end }}
{{- end }}
{{- if .Values.slack.enabled }}
{{- with .Values.slack }}
{{- $ext := not (empty .existingSecret) }}
{{- $_ := set $c "slack-bot-token" (dict "secret" (default $own .existingSecret) "key" (ternary "bot-token" "slack-bot-token" $ext) "value" .botToken) }}
{{- if .socketMode }}
{{- $_ := set $c "slack-app-token" (dict "secret" (default $own .existingSecret) "key" (ternary "app-token" "slack-app-token" $ext) "value" .appToken) }}
{{- else }}
{{- $_ := set $c "slack-signing-secret" (dict "secret" (default $own .existingSecret) "key" (ternary "signing-secret" "slack-signing-secret" $ext) "value" .signingSecret) }}
{{- end }}
{{- end }}
{{- end }}
{{- if .Values.openai.enabled }}
{{- with .Values.openai }}
{{- $_ := set $c "openai-api-key" (dict "secret" (default $own .existingSecret) "key" (ternary "api-key" "openai-api-key" (not (empty .existingSecret))) "value" .apiKey) }}
{{- end }}
{{- end }}
{{- toJson $c }}
{{- end }}

{{/* Mount path of a credential file. */}}
{{- define "ci-remediator.credentialPath" -}}
{{- printf "/var/run/secrets/ci-remediator/%s/%s" . . }}
{{- end }}

{{/*
Checks that fail the render with a message naming the value, for what the schema cannot say (combinations).
*/}}
{{- define "ci-remediator.validate" -}}
{{- $v := .Values }}
{{- if and (gt (int $v.replicaCount) 1) (not $v.leaderElection.enabled) }}
{{- fail "replicaCount > 1 needs leaderElection.enabled: replicas without a Lease would all act on the same records" }}
{{- end }}
{{- if and $v.watch.allNamespaces $v.watch.namespaces }}
{{- fail "watch.allNamespaces and watch.namespaces are exclusive: empty watch.namespaces to watch all namespaces" }}
{{- end }}
{{- if not (or $v.database.url $v.database.existingSecret) }}
{{- fail "database.url or database.existingSecret is required: the audit trail lives in PostgreSQL, shared by the replicas" }}
{{- end }}
{{- if and $v.database.url $v.database.existingSecret }}
{{- fail "database.url and database.existingSecret are exclusive: give one" }}
{{- end }}
{{- if and (eq $v.github.auth "token") (not (or $v.github.token $v.github.existingSecret)) }}
{{- fail "github.auth is token: set github.token or github.existingSecret (key `token`)" }}
{{- end }}
{{- if eq $v.github.auth "app" }}
{{- if not (and $v.github.app.id (gt (int64 $v.github.app.installationId) 0)) }}
{{- fail "github.auth is app: set github.app.id and github.app.installationId" }}
{{- end }}
{{- if not (or $v.github.app.privateKey $v.github.existingSecret) }}
{{- fail "github.auth is app: set github.app.privateKey or github.existingSecret (key `private-key`)" }}
{{- end }}
{{- end }}
{{- if and $v.ingest.enabled (not (or $v.ingest.secret $v.ingest.existingSecret)) }}
{{- fail "ingest.enabled: set ingest.secret (at least 16 characters) or ingest.existingSecret (key `secret`)" }}
{{- end }}
{{- if and $v.ingest.namespace (not $v.watch.allNamespaces) (not (has $v.ingest.namespace (include "ci-remediator.watchNamespaces" . | fromJsonArray))) }}
{{- fail (printf "ingest.namespace %q is not a watched namespace (%s)" $v.ingest.namespace (include "ci-remediator.watchNamespaces" . | fromJsonArray | join ", ")) }}
{{- end }}
{{- if $v.slack.enabled }}
{{- if not (or $v.slack.botToken $v.slack.existingSecret) }}
{{- fail "slack.enabled: set slack.botToken or slack.existingSecret (key `bot-token`)" }}
{{- end }}
{{- if and $v.slack.socketMode (not (or $v.slack.appToken $v.slack.existingSecret)) }}
{{- fail "slack.socketMode: set slack.appToken or slack.existingSecret (key `app-token`)" }}
{{- end }}
{{- if and (not $v.slack.socketMode) (not (or $v.slack.signingSecret $v.slack.existingSecret)) }}
{{- fail "slack.enabled without Socket Mode: set slack.signingSecret or slack.existingSecret (key `signing-secret`)" }}
{{- end }}
{{- end }}
{{- if and $v.openai.enabled (not (or $v.openai.apiKey $v.openai.existingSecret)) }}
{{- fail "openai.enabled: set openai.apiKey or openai.existingSecret (key `api-key`)" }}
{{- end }}
{{- if and (gt (int64 $v.openai.monthlyTokenBudget) 0) (lt (int64 $v.openai.monthlyTokenBudget) 1000) }}
{{- fail (printf "openai.monthlyTokenBudget %d is too small: 0 (no budget) or at least 1000 tokens" (int64 $v.openai.monthlyTokenBudget)) }}
{{- end }}
{{- if and $v.defaultPolicy.enabled $v.watch.allNamespaces }}
{{- fail "defaultPolicy.enabled needs named namespaces (watch.namespaces or the release namespace), not watch.allNamespaces" }}
{{- end }}
{{- if eq (int $v.metrics.port) (int $v.httpPort) }}
{{- fail "metrics.port must differ from httpPort: /metrics is never served on the ingest port" }}
{{- end }}
{{- end }}
