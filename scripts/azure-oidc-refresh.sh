#!/usr/bin/env bash
# Keeps the Azure CLI signed in during a long GitHub Actions job that signed in with OIDC (azure/login).
# The Azure CLI cannot renew a session made from a federated token: once its access token expires (about an
# hour) every `az` call, and so every tool that borrows the CLI's session (the Pulumi CLI's azblob backend,
# azure-native, kubelogin --login azurecli, @azure/identity), fails with AADSTS700024. A classic APIM tier
# alone takes 30-90 minutes. This loop asks GitHub for a fresh OIDC token and signs the CLI in again, as
# Microsoft's own workflows do (https://github.com/Azure/azure-cli/issues/28708,
# https://github.com/Azure/login/issues/180).
#
# Usage (in the background): scripts/azure-oidc-refresh.sh <seconds to keep going>
# Environment: OIDC_CLIENT_ID, OIDC_TENANT_ID, OIDC_SUBSCRIPTION_ID; ACTIONS_ID_TOKEN_REQUEST_URL and
# ACTIONS_ID_TOKEN_REQUEST_TOKEN, which GitHub sets in jobs with `permissions: id-token: write`;
# AZURE_OIDC_REFRESH_SECONDS, the interval (default 240, well inside the CLI token's hour).
# The token is never printed. A failed refresh is reported and retried at the next interval.
set -uo pipefail
: "${OIDC_CLIENT_ID:?}" "${OIDC_TENANT_ID:?}" "${OIDC_SUBSCRIPTION_ID:?}"
: "${ACTIONS_ID_TOKEN_REQUEST_URL:?needs permissions: id-token: write}" "${ACTIONS_ID_TOKEN_REQUEST_TOKEN:?}"
seconds="${1:?usage: azure-oidc-refresh.sh <seconds>}"
interval="${AZURE_OIDC_REFRESH_SECONDS:-240}"
deadline=$(($(date +%s) + seconds))

say() { echo "azure-oidc-refresh: $(date -u +%H:%M:%SZ) $*"; }

while true; do
  sleep "$interval"
  (($(date +%s) < deadline)) || break
  # The audience Entra ID expects from GitHub's tokens.
  # https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust
  if ! token="$(curl -fsS --max-time 30 -H "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" \
    "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=api://AzureADTokenExchange" | jq -er .value)"; then
    say "could not get an OIDC token from GitHub; retrying in ${interval}s"
    continue
  fi
  if az login --service-principal --username "$OIDC_CLIENT_ID" --tenant "$OIDC_TENANT_ID" \
    --federated-token "$token" --output none &&
    az account set --subscription "$OIDC_SUBSCRIPTION_ID" --output none; then
    say "Azure CLI signed in again"
  else
    say "az login with a fresh OIDC token failed; retrying in ${interval}s"
  fi
done
say "stopped after ${seconds}s"
