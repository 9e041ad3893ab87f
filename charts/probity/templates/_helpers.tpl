{{/* Chart name, possibly overridden. */}}
{{- define "probity.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Prefix of every resource name: the release name, plus the chart name unless
the release name already contains it. Truncated so that a "-<target>" suffix
still fits in 63 characters.
*/}}
{{- define "probity.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of a per-target or per-role resource: (dict "ctx" $ "component" "registry"). */}}
{{- define "probity.componentName" -}}
{{- printf "%s-%s" (include "probity.fullname" .ctx) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "probity.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select a component's pods: (dict "ctx" $ "component" NAME). */}}
{{- define "probity.selectorLabels" -}}
app.kubernetes.io/name: {{ include "probity.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{/* Every label of a resource (Helm's recommended set): (dict "ctx" $ "component" NAME). */}}
{{- define "probity.labels" -}}
helm.sh/chart: {{ include "probity.chart" .ctx }}
{{ include "probity.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: probity
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end }}

{{/* Labels of a pod template: the resource labels plus podLabels. */}}
{{- define "probity.podLabels" -}}
{{ include "probity.labels" . }}
{{- with .ctx.Values.podLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The image, by digest when one is given, else by tag (default: appVersion). */}}
{{- define "probity.image" -}}
{{- $img := .Values.image }}
{{- if $img.digest }}
{{- printf "%s@%s" $img.repository $img.digest }}
{{- else }}
{{- printf "%s:%s" $img.repository (default .Chart.AppVersion $img.tag | toString) }}
{{- end }}
{{- end }}

{{- define "probity.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "probity.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The ServiceAccount of the migration hook, which runs before the chart's own exists. */}}
{{- define "probity.migrationServiceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- include "probity.componentName" (dict "ctx" . "component" "migrate") }}
{{- else }}
{{- include "probity.serviceAccountName" . }}
{{- end }}
{{- end }}

{{/* Seconds the drain needs: shutdownGraceMs rounded up. */}}
{{- define "probity.drainSeconds" -}}
{{- div (add (int64 .Values.server.shutdownGraceMs) 999) 1000 }}
{{- end }}

{{/* terminationGracePeriodSeconds: given (and checked), or preStop sleep + drain + 10. */}}
{{- define "probity.terminationGracePeriodSeconds" -}}
{{- $need := add (int64 .Values.lifecycle.preStopSleepSeconds) (int64 (include "probity.drainSeconds" .)) }}
{{- $given := .Values.lifecycle.terminationGracePeriodSeconds }}
{{- if kindIs "invalid" $given }}
{{- add $need 10 }}
{{- else if le (int64 $given) $need }}
{{- fail (printf "lifecycle.terminationGracePeriodSeconds (%v) must be above preStopSleepSeconds + shutdownGraceMs/1000 (%d), or the drain is cut short by SIGKILL" $given $need) }}
{{- else }}
{{- int64 $given }}
{{- end }}
{{- end }}

{{/* Mount paths of the secrets. */}}
{{- define "probity.auditKeyPath" -}}
/etc/probity/audit/{{ .Values.keys.audit.key }}
{{- end }}
{{- define "probity.nationalIdKeyPath" -}}
/etc/probity/national-id/{{ .Values.keys.nationalId.key }}
{{- end }}
{{- define "probity.publicKeyFiles" -}}
{{- $files := list }}
{{- range (required "auth.publicKeys: name at least one issuer public key" .Values.auth.publicKeys) }}
{{- $files = append $files (printf "/etc/probity/issuer/%s" .) }}
{{- end }}
{{- join "," $files }}
{{- end }}

{{/*
Non-secret settings as PROBITY__SECTION__KEY variables (a YAML map): the
ConfigMap's data, and the migration hook's env (the hook runs before the
ConfigMap exists).
*/}}
{{- define "probity.configData" -}}
{{- $v := .Values }}
{{- $d := dict
  "PROBITY__SERVER__LISTEN" (printf "0.0.0.0:%d" (int64 $v.server.port))
  "PROBITY__SERVER__SHUTDOWN_GRACE_MS" (int64 $v.server.shutdownGraceMs | toString)
  "PROBITY__SERVER__REQUEST_TIMEOUT_MS" (int64 $v.server.requestTimeoutMs | toString)
  "PROBITY__SERVER__MAX_REQUEST_BYTES" (int64 $v.server.maxRequestBytes | toString)
  "PROBITY__DATABASE__MAX_CONNECTIONS" (int64 $v.database.maxConnections | toString)
  "PROBITY__AUTH__DEV_KEYS" "false"
  "PROBITY__AUTH__ISSUER" ($v.auth.issuer | toString)
  "PROBITY__AUTH__AUDIENCE" ($v.auth.audience | toString)
  "PROBITY__AUTH__PUBLIC_KEY_FILES" (include "probity.publicKeyFiles" .)
  "PROBITY__AUDIT__KEY_FILE" (include "probity.auditKeyPath" .)
  "PROBITY__REGISTRY__NATIONAL_ID_KEY_FILE" (include "probity.nationalIdKeyPath" .)
  "PROBITY__TELEMETRY__FORMAT" ($v.telemetry.format | toString)
  "PROBITY__TELEMETRY__LEVEL" ($v.telemetry.level | toString)
  "PROBITY__TELEMETRY__SERVICE_NAME" ($v.telemetry.serviceName | toString)
  "PROBITY__SERVER__PUBLIC_RATE_LIMIT__BURST" (int64 $v.server.publicRateLimit.burst | toString)
  "PROBITY__SERVER__PUBLIC_RATE_LIMIT__PER_MINUTE" (int64 $v.server.publicRateLimit.perMinute | toString)
  "PROBITY__INTAKE__STREAM_BUFFER_BYTES" (int64 $v.intakeStreams.bufferBytes | toString)
  "PROBITY__INTAKE__STREAM_ACK_TIMEOUT_MS" (int64 $v.intakeStreams.ackTimeoutMs | toString)
  "PROBITY__INTAKE__MAX_STREAMS_PER_CALLER" (int64 $v.intakeStreams.maxPerCaller | toString)
}}
{{- with $v.server.publicRateLimit.trustedProxies }}
{{- $_ := set $d "PROBITY__SERVER__PUBLIC_RATE_LIMIT__TRUSTED_PROXIES" (join "," .) }}
{{- end }}
{{- $tls := $v.peerTls.enabled }}
{{- if $tls }}
{{- if not $v.peerTls.existingSecret }}
{{- fail "peerTls.existingSecret: the Secret with the CA, certificate and key of TLS between services" }}
{{- end }}
{{- $dir := "/etc/probity/tls" }}
{{- $_ := set $d "PROBITY__SERVER__TLS__CERT_FILE" (printf "%s/%s" $dir $v.peerTls.certKey) }}
{{- $_ := set $d "PROBITY__SERVER__TLS__KEY_FILE" (printf "%s/%s" $dir $v.peerTls.keyKey) }}
{{- if $v.peerTls.requireClientCerts }}
{{- $_ := set $d "PROBITY__SERVER__TLS__CLIENT_CA_FILE" (printf "%s/%s" $dir $v.peerTls.caKey) }}
{{- end }}
{{- $_ := set $d "PROBITY__SERVER__HEALTH_LISTEN" (printf "0.0.0.0:%d" (int64 $v.peerTls.healthPort)) }}
{{- $_ := set $d "PROBITY__PEER_TLS__CA_FILE" (printf "%s/%s" $dir $v.peerTls.caKey) }}
{{- $_ := set $d "PROBITY__PEER_TLS__CERT_FILE" (printf "%s/%s" $dir $v.peerTls.certKey) }}
{{- $_ := set $d "PROBITY__PEER_TLS__KEY_FILE" (printf "%s/%s" $dir $v.peerTls.keyKey) }}
{{- end }}
{{- /* Each calling service presents its own identity's token (docs/deploy.md);
a pod mounts only the tokens of the services it runs, and the nightly job
points rankings.token_file at its own (rankings-cronjob.yaml). */ -}}
{{- $tokens := $v.serviceTokens.keys }}
{{- $_ := set $d "PROBITY__INTAKE__REGISTRY_TOKEN_FILE" (printf "/etc/probity/service-token/%s" $tokens.intake) }}
{{- $_ := set $d "PROBITY__INTAKE__DRAWS_TOKEN_FILE" (printf "/etc/probity/service-token/%s" $tokens.intake) }}
{{- $_ := set $d "PROBITY__ACCOUNTABILITY__TOKEN_FILE" (printf "/etc/probity/service-token/%s" $tokens.accountability) }}
{{- $_ := set $d "PROBITY__RANKINGS__TOKEN_FILE" (printf "/etc/probity/service-token/%s" $tokens.rankings) }}
{{- $_ := set $d "PROBITY__DRAWS__TOKEN_FILE" (printf "/etc/probity/service-token/%s" $tokens.draws) }}
{{- /* The nightly job reaches every service at the Service of the Deployment
running it. Split services reach their peers the same way; in "single" mode
they leave the endpoints empty and call each other inside the pod. */ -}}
{{- $port := int64 $v.server.port }}
{{- $at := dict }}
{{- range $t := list "registry" "intake" "accountability" "rankings" "draws" }}
{{- $component := ternary "all" $t (eq $v.deploymentMode "single") }}
{{- $_ := set $at $t (printf "%s://%s:%d" (ternary "https" "http" $tls) (include "probity.componentName" (dict "ctx" $ "component" $component)) $port) }}
{{- end }}
{{- $_ := set $d "PROBITY__RANKINGS__REGISTRY_ENDPOINT" $at.registry }}
{{- $_ := set $d "PROBITY__RANKINGS__INTAKE_ENDPOINT" $at.intake }}
{{- $_ := set $d "PROBITY__RANKINGS__ACCOUNTABILITY_ENDPOINT" $at.accountability }}
{{- $_ := set $d "PROBITY__RANKINGS__RANKINGS_ENDPOINT" $at.rankings }}
{{- $_ := set $d "PROBITY__RANKINGS__DRAWS_ENDPOINT" $at.draws }}
{{- if eq $v.deploymentMode "microservices" }}
{{- $_ := set $d "PROBITY__INTAKE__REGISTRY_ENDPOINT" $at.registry }}
{{- $_ := set $d "PROBITY__INTAKE__DRAWS_ENDPOINT" $at.draws }}
{{- $_ := set $d "PROBITY__ACCOUNTABILITY__REGISTRY_ENDPOINT" $at.registry }}
{{- $_ := set $d "PROBITY__ACCOUNTABILITY__INTAKE_ENDPOINT" $at.intake }}
{{- $_ := set $d "PROBITY__DRAWS__REGISTRY_ENDPOINT" $at.registry }}
{{- else if $tls }}
{{- /* `all` serves TLS, so its services call each other over TLS too, at
the pod's own address, checked against the `all` Service's name. */ -}}
{{- $self := printf "https://127.0.0.1:%d" $port }}
{{- $_ := set $d "PROBITY__INTAKE__REGISTRY_ENDPOINT" $self }}
{{- $_ := set $d "PROBITY__INTAKE__DRAWS_ENDPOINT" $self }}
{{- $_ := set $d "PROBITY__ACCOUNTABILITY__REGISTRY_ENDPOINT" $self }}
{{- $_ := set $d "PROBITY__ACCOUNTABILITY__INTAKE_ENDPOINT" $self }}
{{- $_ := set $d "PROBITY__DRAWS__REGISTRY_ENDPOINT" $self }}
{{- $_ := set $d "PROBITY__PEER_TLS__DOMAIN" (include "probity.componentName" (dict "ctx" $ "component" "all")) }}
{{- end }}
{{- if $v.metrics.enabled }}
{{- if eq (int64 $v.metrics.port) (int64 $v.server.port) }}
{{- fail "metrics.port must differ from server.port: /metrics is plain HTTP on a port of its own" }}
{{- end }}
{{- $_ := set $d "PROBITY__TELEMETRY__PROMETHEUS_LISTEN" (printf "0.0.0.0:%d" (int64 $v.metrics.port)) }}
{{- else if or $v.metrics.serviceMonitor.enabled $v.metrics.prometheusRule.enabled $v.metrics.dashboard.enabled }}
{{- fail "metrics.serviceMonitor, metrics.prometheusRule and metrics.dashboard need metrics.enabled: true" }}
{{- end }}
{{- with $v.telemetry.otlpEndpoint }}
{{- $_ := set $d "PROBITY__TELEMETRY__OTLP_ENDPOINT" (toString .) }}
{{- end }}
{{- range $k, $val := $v.extraEnv }}
{{- if not (regexMatch "^PROBITY__[A-Z0-9_]+$" $k) }}
{{- fail (printf "extraEnv.%s: settings are PROBITY__SECTION__KEY variables" $k) }}
{{- end }}
{{- if or (regexMatch "^PROBITY__DATABASE__.*URL$" $k) (contains "SECRET" $k) }}
{{- fail (printf "extraEnv.%s looks secret, and extraEnv goes into a ConfigMap: use database.existingSecret / targets.*.database" $k) }}
{{- end }}
{{- if hasKey $d $k }}
{{- fail (printf "extraEnv.%s is set by the chart from its own values: set those instead" $k) }}
{{- end }}
{{- $_ := set $d $k (toString $val) }}
{{- end }}
{{- toYaml $d }}
{{- end }}

{{/*
The Deployments deploymentMode asks for, as a YAML map name -> {replicas,
resources, nationalIdKey, tokens, auditKey}: "single" one `all`,
"microservices" one per target. `tokens` lists the service identities whose
token the pod presents (serviceTokens.keys), `auditKey` the Secret and key
of its audit chain key. Read with fromYaml (numbers come back as floats:
int64 them).
*/}}
{{- define "probity.workloads" -}}
{{- $out := dict }}
{{- $shared := dict "existingSecret" .Values.keys.audit.existingSecret "key" .Values.keys.audit.key }}
{{- if eq .Values.deploymentMode "single" }}
{{- $_ := set $out "all" (dict "replicas" .Values.single.replicas "resources" .Values.single.resources "nationalIdKey" true "tokens" (list "intake" "accountability" "rankings" "draws") "auditKey" $shared) }}
{{- else if eq .Values.deploymentMode "microservices" }}
{{- range $name, $t := .Values.targets }}
{{- $tokens := ternary (list $name) (list) (has $name (list "intake" "accountability" "rankings" "draws")) }}
{{- $audit := $shared }}
{{- if and $t.auditKey $t.auditKey.existingSecret }}
{{- $audit = dict "existingSecret" $t.auditKey.existingSecret "key" (default "audit-chain.key" $t.auditKey.key) }}
{{- end }}
{{- $_ := set $out $name (dict "replicas" $t.replicas "resources" $t.resources "nationalIdKey" (or $t.nationalIdKey (eq $name "registry")) "tokens" $tokens "auditKey" $audit) }}
{{- end }}
{{- else }}
{{- fail (printf "deploymentMode %q: single or microservices" (toString .Values.deploymentMode)) }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* The gRPC services of each target, as the Ingress and GRPCRoute route them. */}}
{{- define "probity.grpcServices" -}}
registry: [probity.registry.v1.RegistryService, probity.registry.v1.PublicRegistryService]
intake: [probity.intake.v1.IntakeService]
accountability: [probity.accountability.v1.AccountabilityService]
rankings: [probity.rankings.v1.RankingsService]
draws: [probity.draws.v1.DrawsService, probity.draws.v1.PublicDrawsService]
{{- end }}

{{/* The Service serving a target's gRPC services: (dict "ctx" $ "target" NAME). */}}
{{- define "probity.targetService" -}}
{{- include "probity.componentName" (dict "ctx" .ctx "component" (ternary "all" .target (eq .ctx.Values.deploymentMode "single"))) }}
{{- end }}

{{/*
Database URLs from Secrets: the shared one, and the own one of each target in
.targets (a map name -> target values) that has one (database.<name>_url);
with "migrate" true (the migration hook only) the owner's URL as well.
(dict "ctx" $ "targets" MAP ["migrate" true])
*/}}
{{- define "probity.databaseEnv" -}}
{{- /* The shared URL only where a service it runs has no database of its own. */ -}}
{{- $shared := .migrate }}
{{- range $name, $t := .targets }}
{{- if not (and $t.database $t.database.existingSecret) }}
{{- $shared = true }}
{{- end }}
{{- end }}
{{- if $shared }}
- name: PROBITY__DATABASE__URL
  valueFrom:
    secretKeyRef:
      name: {{ required "database.existingSecret: the Secret with the database URL" .ctx.Values.database.existingSecret }}
      key: {{ .ctx.Values.database.urlKey }}
{{- end }}
{{- if and .migrate .ctx.Values.database.migrateUrlKey }}
- name: PROBITY__DATABASE__MIGRATE_URL
  valueFrom:
    secretKeyRef:
      name: {{ default .ctx.Values.database.existingSecret .ctx.Values.database.migrateExistingSecret }}
      key: {{ .ctx.Values.database.migrateUrlKey }}
{{- end }}
{{- range $name, $t := .targets }}
{{- if and $t.database $t.database.existingSecret }}
- name: PROBITY__DATABASE__{{ upper $name }}_URL
  valueFrom:
    secretKeyRef:
      name: {{ $t.database.existingSecret }}
      key: {{ default "url" $t.database.urlKey }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Volume mounts of a pod: (dict "ctx" $ "nationalIdKey" BOOL "tokens" LIST
"auditKey" DICT "issuerKeys" BOOL). A pod mounts only what the services it
runs use: the audit key of its own chain (none for the nightly job, which
writes no chain), the issuer's keys where tokens are verified, its own
service tokens.
*/}}
{{- define "probity.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .auditKey }}
- name: audit-key
  mountPath: /etc/probity/audit
  readOnly: true
{{- end }}
{{- if .issuerKeys }}
- name: issuer-keys
  mountPath: /etc/probity/issuer
  readOnly: true
{{- end }}
{{- if .nationalIdKey }}
- name: national-id-key
  mountPath: /etc/probity/national-id
  readOnly: true
{{- end }}
{{- if .tokens }}
- name: service-token
  mountPath: /etc/probity/service-token
  readOnly: true
{{- end }}
{{- if .ctx.Values.peerTls.enabled }}
- name: peer-tls
  mountPath: /etc/probity/tls
  readOnly: true
{{- end }}
{{- with .ctx.Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Volumes of a pod: the arguments of probity.volumeMounts. */}}
{{- define "probity.volumes" -}}
{{- $v := .ctx.Values -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ $v.tmpSizeLimit }}
{{- with .auditKey }}
- name: audit-key
  secret:
    secretName: {{ required "keys.audit.existingSecret: the Secret with the audit chain key" .existingSecret }}
    defaultMode: 0440
    items:
      # mounted under the file name audit.key_file names, whichever key it is
      - key: {{ .key }}
        path: {{ $v.keys.audit.key }}
{{- end }}
{{- if .issuerKeys }}
- name: issuer-keys
  secret:
    secretName: {{ required "auth.existingSecret: the Secret with the token issuer's public keys" $v.auth.existingSecret }}
    defaultMode: 0440
    items:
      {{- range $v.auth.publicKeys }}
      - key: {{ . }}
        path: {{ . }}
      {{- end }}
{{- end }}
{{- if .nationalIdKey }}
- name: national-id-key
  secret:
    secretName: {{ required "keys.nationalId.existingSecret: the Secret with the national-ID HMAC key" $v.keys.nationalId.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ $v.keys.nationalId.key }}
        path: {{ $v.keys.nationalId.key }}
{{- end }}
{{- with .tokens }}
- name: service-token
  secret:
    secretName: {{ required "serviceTokens.existingSecret: the Secret with the services' tokens" $v.serviceTokens.existingSecret }}
    defaultMode: 0440
    items:
      {{- range . }}
      {{- $key := required (printf "serviceTokens.keys.%s: the key of its token" .) (index $v.serviceTokens.keys .) }}
      - key: {{ $key }}
        path: {{ $key }}
      {{- end }}
{{- end }}
{{- if $v.peerTls.enabled }}
- name: peer-tls
  secret:
    secretName: {{ $v.peerTls.existingSecret }}
    defaultMode: 0440
    items:
      {{- range list $v.peerTls.caKey $v.peerTls.certKey $v.peerTls.keyKey }}
      - key: {{ . }}
        path: {{ . }}
      {{- end }}
{{- end }}
{{- with $v.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Pod-level settings shared by every pod of the chart. */}}
{{- define "probity.podCommon" -}}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end }}
