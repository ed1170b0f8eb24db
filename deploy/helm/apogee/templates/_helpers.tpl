{{- define "apogee.name" -}}{{ .Release.Name }}-apogee{{- end -}}
{{- define "apogee.labels" -}}
app.kubernetes.io/name: apogee
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}
