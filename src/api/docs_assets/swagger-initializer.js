// archon-auth API docs: starts Swagger UI on the OpenAPI document this server embeds.
// A separate file, not an inline script, because the /docs CSP allows scripts only from 'self'.
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/v2/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    // Same-origin only: no calls to the public validator at validator.swagger.io.
    validatorUrl: null,
  });
});
