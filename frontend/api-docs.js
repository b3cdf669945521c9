// Starts Swagger UI on the API documentation page (/api/v1/docs) over the service's own
// OpenAPI document; everything is served by the service itself (no CDN).
window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({
    url: '/api/v1/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    // Calls made from the page carry the browser's session cookie; changes also need the
    // session's CSRF token, which the page cannot know: use "Authorize" with a bearer token.
    withCredentials: true,
    tryItOutEnabled: false,
  });
});
