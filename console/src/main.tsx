// The console's entry: routes under /console (react-router), server state through TanStack Query.
// Pages load on demand, so signing in downloads only the shell.
import { StrictMode, Suspense, lazy } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { I18nProvider } from './i18n.tsx';
import { RequireSession, useSession } from './session.tsx';
import { Layout } from './components/Layout.tsx';
import { Loading } from './components/ui.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { SoukProblemError, setToken } from './api.ts';
import './style.css';

const Dashboard = lazy(() => import('./pages/Dashboard.tsx'));
const Products = lazy(() => import('./pages/Products.tsx'));
const ProductEditor = lazy(() => import('./pages/ProductEditor.tsx'));
const ProductImport = lazy(() => import('./pages/ProductImport.tsx'));
const Orders = lazy(() => import('./pages/Orders.tsx'));
const OrderDetail = lazy(() => import('./pages/OrderDetail.tsx'));
const Inventory = lazy(() => import('./pages/Inventory.tsx'));
const Customers = lazy(() => import('./pages/Customers.tsx'));
const CustomerDetail = lazy(() => import('./pages/CustomerDetail.tsx'));
const Coupons = lazy(() => import('./pages/Coupons.tsx'));
const FlashSales = lazy(() => import('./pages/FlashSales.tsx'));
const Events = lazy(() => import('./pages/Events.tsx'));
const Webhooks = lazy(() => import('./pages/Webhooks.tsx'));
const Admin = lazy(() => import('./pages/Admin.tsx'));
const LiveRooms = lazy(() => import('./pages/LiveRooms.tsx'));
const Risk = lazy(() => import('./pages/Risk.tsx'));
const ReviewQueue = lazy(() => import('./pages/ReviewQueue.tsx'));
const EventDetail = lazy(() => import('./pages/EventDetail.tsx'));
const DeliveryDetail = lazy(() => import('./pages/DeliveryDetail.tsx'));

/** A session that expired mid-way sends the user back to sign in instead of a wall of errors. */
function onApiError(error: unknown) {
  if (error instanceof SoukProblemError && error.status === 401) {
    setToken(undefined);
    window.location.assign('/console/sign-in');
  }
}

const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError: onApiError }),
  mutationCache: new MutationCache({ onError: onApiError }),
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // A refusal (404 of another platform's order, 403) will not change on a retry.
      retry: (count, error) => !(error instanceof SoukProblemError && error.status < 500) && count < 2,
    },
  },
});

function Home() {
  const session = useSession();
  const first = session.platforms[0];
  return first ? <Navigate to={`/p/${first.slug}`} replace /> : <Layout />;
}

function App() {
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/sign-in" element={<SignIn />} />
        <Route
          path="/"
          element={
            <RequireSession>
              <Home />
            </RequireSession>
          }
        />
        <Route
          path="/p/:platform"
          element={
            <RequireSession>
              <Layout />
            </RequireSession>
          }
        >
          <Route index element={<Dashboard />} />
          <Route path="products" element={<Products />} />
          <Route path="products/new" element={<ProductEditor />} />
          <Route path="products/import" element={<ProductImport />} />
          <Route path="products/:productId" element={<ProductEditor />} />
          <Route path="orders" element={<Orders />} />
          <Route path="orders/:orderId" element={<OrderDetail />} />
          <Route path="inventory" element={<Inventory />} />
          <Route path="customers" element={<Customers />} />
          <Route path="customers/:customerId" element={<CustomerDetail />} />
          <Route path="coupons" element={<Coupons />} />
          <Route path="flash-sales" element={<FlashSales />} />
          <Route path="events" element={<Events />} />
          <Route path="events/:eventId" element={<EventDetail />} />
          <Route path="webhooks" element={<Webhooks />} />
          <Route path="webhooks/deliveries/:deliveryId" element={<DeliveryDetail />} />
          <Route path="review" element={<ReviewQueue />} />
          <Route path="admin" element={<Admin />} />
          <Route path="live" element={<LiveRooms />} />
          <Route path="risk" element={<Risk />} />
        </Route>
        <Route path="*" element={<Navigate to="/" replace />} />
      </Routes>
    </Suspense>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      <QueryClientProvider client={queryClient}>
        <BrowserRouter basename="/console">
          <App />
        </BrowserRouter>
      </QueryClientProvider>
    </I18nProvider>
  </StrictMode>,
);
